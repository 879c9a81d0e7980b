-- The providers aigw ships that are not generated (the catalogue adds more:
-- sql/data/catalogue.sql).
INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme, enabled, request_timeout_ms, connect_timeout_ms, extra_headers, description, api_version, origin) VALUES
	('openai', 'openai', 'https://api.openai.com/v1', 'bearer', true, NULL, NULL, '{}', 'OpenAI', NULL, 'shipped'),
	('deepseek', 'openai', 'https://api.deepseek.com/v1', 'bearer', true, NULL, NULL, '{}', 'DeepSeek', NULL, 'shipped'),
	('qwen', 'openai', 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', 'bearer', true, NULL, NULL, '{}', 'Alibaba Cloud Model Studio (DashScope), OpenAI-compatible mode; mainland China accounts use https://dashscope.aliyuncs.com/compatible-mode/v1', NULL, 'shipped'),
	('mistral', 'openai', 'https://api.mistral.ai/v1', 'bearer', true, NULL, NULL, '{}', 'Mistral AI', NULL, 'shipped'),
	('groq', 'openai', 'https://api.groq.com/openai/v1', 'bearer', true, NULL, NULL, '{}', 'Groq', NULL, 'shipped'),
	('together', 'openai', 'https://api.together.xyz/v1', 'bearer', true, NULL, NULL, '{}', 'Together AI', NULL, 'shipped'),
	('openrouter', 'openai', 'https://openrouter.ai/api/v1', 'bearer', true, NULL, NULL, '{}', 'OpenRouter', NULL, 'shipped'),
	('xai', 'openai', 'https://api.x.ai/v1', 'bearer', true, NULL, NULL, '{}', 'xAI', NULL, 'shipped');
