-- The models aigw shipped first, written by hand (origin 'shipped'); the
-- catalogue and the embedding models are generated (sql/data/catalogue.sql,
-- sql/data/embeddings.sql), and every model's quality score too (sql/data/quality.sql).

INSERT INTO aigw.models (id, provider, upstream_model, context_window, max_output_tokens, capabilities, enabled, quality, quality_source, kind, dimensions, max_inputs_per_request, max_tokens_per_request, dimensions_settable, origin) VALUES
	('deepseek/deepseek-chat', 'deepseek', 'deepseek-chat', 131072, 8192, '{tools,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('deepseek/deepseek-reasoner', 'deepseek', 'deepseek-reasoner', 131072, 65536, '{reasoning}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('groq/llama-3.1-8b-instant', 'groq', 'llama-3.1-8b-instant', 128000, 8192, '{tools,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('groq/llama-3.3-70b-versatile', 'groq', 'llama-3.3-70b-versatile', 128000, 32768, '{tools,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('mistral/mistral-large-latest', 'mistral', 'mistral-large-latest', 262144, 262144, '{tools,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('mistral/mistral-small-latest', 'mistral', 'mistral-small-latest', 131072, 131072, '{tools,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('openai/gpt-4.1', 'openai', 'gpt-4.1', 1047576, 32768, '{tools,vision,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('openai/gpt-4.1-mini', 'openai', 'gpt-4.1-mini', 1047576, 32768, '{tools,vision,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('openai/gpt-4.1-nano', 'openai', 'gpt-4.1-nano', 1047576, 32768, '{tools,vision,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('openai/gpt-4o', 'openai', 'gpt-4o', 128000, 16384, '{tools,vision,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('openai/gpt-4o-mini', 'openai', 'gpt-4o-mini', 128000, 16384, '{tools,vision,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('openai/gpt-5', 'openai', 'gpt-5', 272000, 128000, '{tools,vision,json,reasoning}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('openai/gpt-5-mini', 'openai', 'gpt-5-mini', 272000, 128000, '{tools,vision,json,reasoning}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('openai/o4-mini', 'openai', 'o4-mini', 200000, 100000, '{tools,vision,json,reasoning}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('openrouter/openai/gpt-4o-mini', 'openrouter', 'openai/gpt-4o-mini', 128000, 16384, '{tools,vision,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('qwen/qwen-max', 'qwen', 'qwen-max', 30720, 8192, '{tools,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('qwen/qwen-plus', 'qwen', 'qwen-plus', 129024, 16384, '{tools,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('qwen/qwen-turbo', 'qwen', 'qwen-turbo', 129024, 16384, '{tools,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('together/meta-llama/Llama-3.3-70B-Instruct-Turbo', 'together', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 131072, NULL, '{tools,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('xai/grok-3', 'xai', 'grok-3', 131072, 131072, '{tools,json}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped'),
	('xai/grok-3-mini', 'xai', 'grok-3-mini', 131072, 131072, '{tools,json,reasoning}', true, NULL, NULL, 'chat', NULL, NULL, NULL, false, 'shipped');
