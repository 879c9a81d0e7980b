/*
 * catalog.h
 *	  Resolving a model name to everything needed to call it.
 */
#ifndef AIGW_CATALOG_H
#define AIGW_CATALOG_H

#include "postgres.h"
#include "access/htup.h"
#include "utils/jsonb.h"

typedef struct AigwTarget
{
	char	   *model_id;		/* 'provider/model' as in aigw.models */
	char	   *provider;
	char	   *upstream_model;
	char	   *api_style;
	char	   *base_url;
	char	   *auth_scheme;
	bytea	   *credential;		/* sealed (secret_box.h); NULL when the scheme is 'none' */
	Jsonb	   *extra_headers;
	int			request_timeout_ms; /* 0: use aigw.request_timeout_ms */
	int			connect_timeout_ms; /* 0: use aigw.connect_timeout_ms */
	char	   *api_version;	/* aigw.providers.api_version, or NULL */
	int			max_output_tokens;	/* aigw.models.max_output_tokens; 0: unknown */
	int			context_window; /* aigw.models.context_window; 0: unknown */
	bool		embedding;		/* aigw.models.kind = 'embedding' */
	int			dimensions;		/* embedding models: default vector length; 0: unknown */
	bool		dimensions_settable;
	int			max_inputs_per_request; /* embedding models; 0: unknown */
	int			max_tokens_per_request;
} AigwTarget;

/*
 * Look a model up in aigw.models / aigw.providers / aigw.credentials.
 * Raises an error for an unknown model or provider, a disabled one, or a
 * missing credential or one this server cannot decrypt (no master key, or
 * another one), so nothing is sent for them.  Read once per transaction
 * (again after a change to those tables commits); *out is the caller's own
 * copy.  The credential stays sealed: only the pool's workers open it.
 */
extern void aigw_resolve_model(const char *model, AigwTarget *out);

/* Refuse to call in the transaction that created the extension. */
extern void aigw_require_committed_extension(void);

#endif							/* AIGW_CATALOG_H */
