-- aigw 0.3.0: native provider protocols (Anthropic Messages, Gemini,
-- Bedrock Converse signed with SigV4, Azure OpenAI), the native Anthropic
-- surface, and a catalogue of priced models.

\echo Use "ALTER EXTENSION aigw UPDATE TO '0.3.0'" to load this file. \quit

-- BEGIN GENERATED CATALOGUE
-- END GENERATED CATALOGUE
