/*
 * translate.h
 *	  What the protocols built on turns of typed blocks (Anthropic, Gemini,
 *	  Bedrock) share when they translate aigw's OpenAI shape: walking the
 *	  messages into alternating turns, reading text, images and tool calls
 *	  out of them, and building the OpenAI-shaped answer back.
 */
#ifndef AIGW_TRANSLATE_H
#define AIGW_TRANSLATE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "common/attempt.h"
#include "catalog/catalog.h"
#include "common/pg_compat.h"

/*
 * How one protocol writes a turn.  aigw_push_turns walks the messages:
 * system and developer messages go to the system text; every other one
 * joins the turn of its role (consecutive ones of a role are merged, as
 * these protocols want turns to alternate), and its parts are handed to the
 * callbacks, which push one block each.
 */
typedef struct AigwTurnWriter
{
	const AigwTarget *target;
	const char *protocol;		/* "Anthropic": for error messages */
	const char *assistant_role; /* "assistant" or "model" */
	const char *blocks_key;		/* key of a turn's blocks: "content", "parts" */
	void		(*text) (JsonbParseState **ps, const char *text, int len);
	/* an image: data URL split into media type and base64 data, or a URL */
	void		(*image) (JsonbParseState **ps, const struct AigwTurnWriter *w,
						  const char *media_type, const char *data, const char *url);
	void		(*tool_call) (JsonbParseState **ps, JsonbValue *id, JsonbValue *name, Jsonb *input);
	/* the answer (its text) to a tool call of the conversation */
	void		(*tool_result) (JsonbParseState **ps, const struct AigwTurnWriter *w,
								Jsonb *messages, JsonbValue *call_id, const char *text);
} AigwTurnWriter;

extern void aigw_push_turns(JsonbParseState **ps, const AigwTurnWriter *w, const char *key,
							Jsonb *messages, StringInfo system);

/* Append a string's, or text parts', text (joined by blank lines). */
extern void aigw_append_text(StringInfo buf, JsonbValue *content);

/* A tool call's arguments (a JSON string in OpenAI's shape) as an object. */
extern Jsonb *aigw_tool_call_input(JsonbContainer *call);

/*
 * How a protocol declares one function tool: {name, description,
 * <schema_key>: the JSON schema}, the schema wrapped as {<schema_wrapper>:
 * schema} and the whole as {<wrapper>: ...} when those are set; a tool
 * without parameters gets {"type": "object"} when schema_required.
 */
typedef struct AigwToolShape
{
	const char *wrapper;		/* Bedrock: "toolSpec" */
	const char *schema_key;		/* "input_schema", "parameters", "inputSchema" */
	const char *schema_wrapper; /* Bedrock: "json" */
	bool		schema_required;
} AigwToolShape;

/* Push the elements of OpenAI's "tools" (function tools only) in a shape. */
extern void aigw_push_function_tools(JsonbParseState **ps, const AigwTarget *target,
									 const char *protocol, JsonbValue *tools,
									 const AigwToolShape *shape);

/*
 * Usage of the Anthropic kind (Anthropic, Bedrock): the input count leaves
 * out cache reads and writes, so the prompt is the three together.
 */
extern void aigw_read_cache_usage(AigwAttempt *a, JsonbValue *usage, const char *input,
								  const char *output, const char *cache_read,
								  const char *cache_write);

/* A count: a whole number >= 0, else -1 (absent, negative, not a number). */
extern int64 aigw_usage_count(JsonbContainer *usage, const char *key);

/* A count an upstream leaves out when it is 0: 0 when absent, else as above. */
extern int64 aigw_usage_optional(JsonbContainer *usage, const char *key);

/* Push {key: text} as an object. */
extern void aigw_push_text_object(JsonbParseState **ps, const char *key, const char *text, int len);

/* "stop": a string or a list of strings, pushed as a list under key. */
extern void aigw_push_string_list(JsonbParseState **ps, const char *key, JsonbValue *v);

/* Refuse options the protocol cannot honour (logprobs, n > 1, ...). */
extern void aigw_refuse_options(const AigwTarget *target, const char *protocol,
								JsonbContainer *options, int choices, bool allow_n);

pg_noreturn
extern void aigw_unsupported(const AigwTarget *target, const char *protocol,
							 const char *what, const char *hint);

/*
 * For protocols without a JSON mode: the instruction that asks for one,
 * appended to the system text when response_format is json_object (or a
 * json_schema without a schema).
 */
extern void aigw_append_json_instruction(StringInfo system, JsonbContainer *options);

/*
 * The tool that carries a json_schema answer on the protocols that have no
 * JSON-schema mode but force a tool (Anthropic, Bedrock): the request
 * offers it alone and forces it, and the answer's call of it comes back as
 * the message's content (the input as JSON text, finish_reason "stop"), so
 * a json_schema answer has one shape whichever provider served it.
 */
#define AIGW_JSON_TOOL "aigw_answer"

/*
 * When response_format is a json_schema with a schema: true, with *tools
 * and *choice set to OpenAI's "tools" and "tool_choice" that force
 * AIGW_JSON_TOOL with the schema as its parameters (for the protocol's own
 * tool writer).  Refuses
 * the user's tools beside it, a schema that is not an object's, and a user
 * tool of the reserved name.
 */
extern bool aigw_json_schema_tool(const AigwTarget *target, const char *protocol,
								  JsonbContainer *options, JsonbValue *tools, JsonbValue *choice);

/*
 * The OpenAI-shaped answer: aigw_answer_begin, then per choice
 * aigw_choice_begin, its text and tool calls in any order, aigw_choice_end,
 * then aigw_answer_end.
 */
typedef struct AigwChoice
{
	JsonbParseState **ps;
	StringInfoData text;
	bool		has_text;
	int			ncalls;
	int			index;
	bool		structured;		/* the text is AIGW_JSON_TOOL's input */
	const char *problem;		/* why the choice is unusable (a tool call without a name), or NULL */
} AigwChoice;

extern void aigw_answer_begin(JsonbParseState **ps, JsonbValue *id, JsonbValue *model);
extern void aigw_choice_begin(AigwChoice *c, JsonbParseState **ps, int index);
extern void aigw_choice_text(AigwChoice *c, const char *text, int len);
/*
 * id NULL: one is made up (Gemini's calls have none).  A name that is not
 * text, or an input that is not an object, sets c->problem: the parser
 * fails the answer with it after aigw_choice_end.
 */
extern void aigw_choice_tool_call(AigwChoice *c, JsonbValue *id, JsonbValue *name, JsonbValue *input);
/* A tool call of the answer: AIGW_JSON_TOOL's input becomes the text, others tool calls. */
extern void aigw_choice_tool_use(AigwChoice *c, JsonbValue *id, JsonbValue *name, JsonbValue *input);
extern void aigw_choice_end(AigwChoice *c, const char *finish_reason);
extern Jsonb *aigw_answer_end(JsonbParseState **ps);

#endif							/* AIGW_TRANSLATE_H */
