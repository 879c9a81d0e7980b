/*
 * secret_box.h
 *	  Provider keys encrypted at rest: the master key and AES-256-GCM.
 *
 * The master key never enters the database.  The postmaster reads it when
 * the server starts (aigw_master_keys_load, from _PG_init) from the file or
 * the command that aigw.master_key_file / aigw.master_key_command name, and
 * every process it starts inherits it.  aigw.previous_master_key_file (or
 * _command) names the key credentials were sealed under before a rotation:
 * it still opens them, and aigw.rotate_credentials() re-seals them under the
 * current one.
 *
 * A sealed credential (aigw.credentials.ciphertext) is
 *     version (1 byte, 1) | key id (8) | nonce (12) | ciphertext | tag (16)
 * where the key id is the first 8 bytes of SHA-256 of the master key, so the
 * key a credential needs is recognised (and a wrong one reported) without
 * trying to decrypt.  The associated data is the header (version and key id)
 * and the provider's name: a ciphertext copied to another provider's row, or
 * relabelled as sealed by another key, does not open.
 */
#ifndef AIGW_SECRET_BOX_H
#define AIGW_SECRET_BOX_H

#include "postgres.h"

#define AIGW_SEALED_VERSION 1
#define AIGW_KEY_ID_LEN 8
#define AIGW_NONCE_LEN 12
#define AIGW_TAG_LEN 16
#define AIGW_SEALED_OVERHEAD (1 + AIGW_KEY_ID_LEN + AIGW_NONCE_LEN + AIGW_TAG_LEN)

/* The settings naming the keys are in common/settings.h. */

/* Read the keys the settings name; in the postmaster, once.  Never fails: a
 * key that cannot be read is reported (WARNING) and its absence explained
 * by every call that needs it. */
extern void aigw_master_keys_load(void);

/* Refuse (ERROR with a hint naming the settings) when no master key can seal. */
extern void aigw_require_master_key(void);

/* Seal plaintext[0..len) for provider under the current master key. */
extern bytea *aigw_secret_seal(const char *provider, const char *plaintext, size_t len);

/*
 * Check, without decrypting, that a sealed credential is under a master key
 * this server has; otherwise ERROR (5G011) saying what to configure.  The
 * calling backend does this before sending, so a missing or wrong key fails
 * the call with a clear error instead of an attempt the worker cannot make.
 */
extern void aigw_secret_check(const char *provider, const char *sealed, size_t len);

/* Which key sealed it: the current one, the previous one, or neither. */
typedef enum AigwSealedBy
{
	SEALED_BY_CURRENT,
	SEALED_BY_PREVIOUS,
	SEALED_BY_UNKNOWN,			/* a key this server does not have */
	SEALED_MALFORMED			/* not a sealed credential of a version we read */
} AigwSealedBy;

extern AigwSealedBy aigw_secret_sealed_by(const char *sealed, size_t len);

/*
 * Open a sealed credential: the NUL-terminated plaintext, palloc'd in the
 * current context (wipe it with explicit_bzero, then pfree), or NULL with
 * *error saying why (never quoting the key).  Raises no error, so a pool
 * worker can call it outside any transaction.
 */
extern char *aigw_secret_open(const char *provider, const char *sealed, size_t len,
							  const char **error);

/* The current master key's id as 16 hex digits, or NULL without one. */
extern const char *aigw_master_key_id(void);

#endif							/* AIGW_SECRET_BOX_H */
