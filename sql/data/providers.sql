-- The providers aigw ships (origin 'shipped').

INSERT INTO aigw.providers (name, api_style, base_url, auth_scheme, enabled, request_timeout_ms, connect_timeout_ms, extra_headers, description, api_version, origin) VALUES
	('openai', 'openai', 'https://api.openai.com/v1', 'bearer', true, NULL, NULL, '{}', 'OpenAI', NULL, 'shipped'),
	('deepseek', 'openai', 'https://api.deepseek.com/v1', 'bearer', true, NULL, NULL, '{}', 'DeepSeek', NULL, 'shipped'),
	('qwen', 'openai', 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1', 'bearer', true, NULL, NULL, '{}', 'Alibaba Cloud Model Studio (DashScope), OpenAI-compatible mode; mainland China accounts use https://dashscope.aliyuncs.com/compatible-mode/v1', NULL, 'shipped'),
	('mistral', 'openai', 'https://api.mistral.ai/v1', 'bearer', true, NULL, NULL, '{}', 'Mistral AI', NULL, 'shipped'),
	('groq', 'openai', 'https://api.groq.com/openai/v1', 'bearer', true, NULL, NULL, '{}', 'Groq', NULL, 'shipped'),
	('together', 'openai', 'https://api.together.xyz/v1', 'bearer', true, NULL, NULL, '{}', 'Together AI', NULL, 'shipped'),
	('openrouter', 'openai', 'https://openrouter.ai/api/v1', 'bearer', true, NULL, NULL, '{}', 'OpenRouter', NULL, 'shipped'),
	('xai', 'openai', 'https://api.x.ai/v1', 'bearer', true, NULL, NULL, '{}', 'xAI', NULL, 'shipped'),
	('anthropic', 'anthropic', 'https://api.anthropic.com/v1', 'x-api-key', true, NULL, NULL, '{}', 'Anthropic, Messages API', '2023-06-01', 'shipped'),
	('gemini', 'gemini', 'https://generativelanguage.googleapis.com/v1beta', 'x-goog-api-key', true, NULL, NULL, '{}', 'Google Gemini API (Google AI Studio), generateContent', NULL, 'shipped'),
	('bedrock', 'bedrock', 'https://bedrock-runtime.us-east-1.amazonaws.com', 'sigv4', true, NULL, NULL, '{}', 'Amazon Bedrock, Converse API, signed with SigV4; region us-east-1: for another region change it in the host (https://bedrock-runtime.<region>.amazonaws.com). upstream_model is a Bedrock model id or inference profile id (us., global.)', NULL, 'shipped'),
	('azure', 'azure', 'https://your-resource.openai.azure.com/openai', 'api-key', false, NULL, NULL, '{}', 'Azure OpenAI: set base_url to your resource (https://<resource>.openai.azure.com/openai), then enable it. Models are deployments: add one per deployment, with upstream_model the deployment name', '2024-10-21', 'shipped'),
	('fireworks', 'openai', 'https://api.fireworks.ai/inference/v1', 'bearer', true, NULL, NULL, '{}', 'Fireworks AI', NULL, 'shipped'),
	('perplexity', 'openai', 'https://api.perplexity.ai', 'bearer', true, NULL, NULL, '{}', 'Perplexity Sonar (per-request search fees are not in aigw.prices)', NULL, 'shipped'),
	('cerebras', 'openai', 'https://api.cerebras.ai/v1', 'bearer', true, NULL, NULL, '{}', 'Cerebras Inference', NULL, 'shipped'),
	('deepinfra', 'openai', 'https://api.deepinfra.com/v1/openai', 'bearer', true, NULL, NULL, '{}', 'DeepInfra, OpenAI-compatible endpoint', NULL, 'shipped'),
	('moonshot', 'openai', 'https://api.moonshot.ai/v1', 'bearer', true, NULL, NULL, '{}', 'Moonshot AI (Kimi), international endpoint; mainland China accounts use https://api.moonshot.cn/v1', NULL, 'shipped'),
	('sambanova', 'openai', 'https://api.sambanova.ai/v1', 'bearer', true, NULL, NULL, '{}', 'SambaNova Cloud', NULL, 'shipped'),
	('zai', 'openai', 'https://api.z.ai/api/paas/v4', 'bearer', true, NULL, NULL, '{}', 'Z.ai (GLM), international endpoint; mainland China accounts use https://open.bigmodel.cn/api/paas/v4', NULL, 'shipped');
