-- The LiteLLM provider map (scripts/gen_catalogue.py).

INSERT INTO aigw.catalogue_providers (litellm_provider, provider, key_prefix, origin) VALUES
	('openai', 'openai', '', 'shipped'),
	('deepseek', 'deepseek', 'deepseek/', 'shipped'),
	('dashscope', 'qwen', 'dashscope/', 'shipped'),
	('mistral', 'mistral', 'mistral/', 'shipped'),
	('groq', 'groq', 'groq/', 'shipped'),
	('together_ai', 'together', 'together_ai/', 'shipped'),
	('openrouter', 'openrouter', 'openrouter/', 'shipped'),
	('xai', 'xai', 'xai/', 'shipped'),
	('anthropic', 'anthropic', '', 'shipped'),
	('gemini', 'gemini', 'gemini/', 'shipped'),
	('bedrock', 'bedrock', '', 'shipped'),
	('bedrock_converse', 'bedrock', '', 'shipped'),
	('fireworks_ai', 'fireworks', 'fireworks_ai/', 'shipped'),
	('perplexity', 'perplexity', 'perplexity/', 'shipped'),
	('cerebras', 'cerebras', 'cerebras/', 'shipped'),
	('deepinfra', 'deepinfra', 'deepinfra/', 'shipped'),
	('moonshot', 'moonshot', 'moonshot/', 'shipped'),
	('sambanova', 'sambanova', 'sambanova/', 'shipped'),
	('zai', 'zai', 'zai/', 'shipped');
