/*
 * catalog.h
 *	  Resolving a model name to everything needed to call it.
 */
#ifndef AIGW_CATALOG_H
#define AIGW_CATALOG_H

#include "postgres.h"
#include "utils/jsonb.h"

typedef struct AigwTarget
{
	char	   *model_id;		/* 'provider/model' as in aigw.models */
	char	   *provider;
	char	   *upstream_model;
	char	   *api_style;
	char	   *base_url;
	char	   *auth_scheme;
	char	   *secret;			/* NULL when the scheme is 'none' */
	Jsonb	   *extra_headers;
	int			request_timeout_ms; /* 0: use aigw.request_timeout_ms */
	int			connect_timeout_ms; /* 0: use aigw.connect_timeout_ms */
} AigwTarget;

/*
 * Look a model up in aigw.models / aigw.providers / aigw.credentials.
 * Raises an error for an unknown model or provider, a disabled one, or a
 * missing credential, so nothing is sent for them.
 */
extern void aigw_resolve_model(const char *model, AigwTarget *out);

#endif							/* AIGW_CATALOG_H */
