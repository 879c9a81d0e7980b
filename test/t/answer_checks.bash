# Sourced by test/t/soak.sh and bench/soak.sh: what an answer aigw returned
# as ok must be, as SQL predicates over a row's `response` (jsonb) or
# `embedding` (real[]).
#
# An OpenAI-shaped answer survives a trip through text; its choices are
# objects with a message whose content is text or null (and tool calls, if
# any, functions with a name and their arguments as text); its usage
# counts are whole numbers >= 0 (or null).
VALID_CHAT_ANSWER="response::text::jsonb = response
  AND jsonb_typeof(response->'choices') = 'array' AND jsonb_array_length(response->'choices') > 0
  AND NOT EXISTS (SELECT FROM jsonb_array_elements(response->'choices') c
                   WHERE jsonb_typeof(c->'message') IS DISTINCT FROM 'object'
                      OR coalesce(jsonb_typeof(c->'message'->'content'), 'null') NOT IN ('string', 'null')
                      OR coalesce(jsonb_typeof(c->'finish_reason'), 'null') NOT IN ('string', 'null')
                      OR coalesce(jsonb_typeof(c->'message'->'tool_calls'), 'null') NOT IN ('array', 'null')
                      OR EXISTS (SELECT FROM jsonb_array_elements(CASE jsonb_typeof(c->'message'->'tool_calls') WHEN 'array' THEN c->'message'->'tool_calls' END) t
                                  WHERE jsonb_typeof(t->'function'->'name') IS DISTINCT FROM 'string'
                                     OR jsonb_typeof(t->'function'->'arguments') IS DISTINCT FROM 'string'))
  AND NOT EXISTS (SELECT FROM jsonb_each(response->'usage') u
                   WHERE jsonb_typeof(u.value) = 'number' AND (u.value::numeric < 0 OR u.value::numeric <> trunc(u.value::numeric))
                      OR jsonb_typeof(u.value) NOT IN ('number', 'null', 'object'))"
# A vector: present, not empty, every number finite.
VALID_VECTOR="embedding IS NOT NULL AND cardinality(embedding) > 0
  AND NOT EXISTS (SELECT FROM unnest(embedding) x WHERE x = 'NaN' OR x IN ('Infinity', '-Infinity'))"
