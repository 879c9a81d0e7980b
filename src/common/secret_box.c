/*
 * secret_box.c
 *	  The master key and the sealing of provider keys (see secret_box.h).
 *
 * The master key is read by the postmaster, before it starts any other
 * process, so it is read once and from one place: a backend or a pool
 * worker never opens the file or runs the command, and the database never
 * holds it.  The key sits in a page of its own, locked in memory where the
 * system allows it and left out of core dumps.
 */
#include "postgres.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "port.h"
#include "utils/memutils.h"

#include "common/pg_compat.h"
#include "common/settings.h"
#include "common/secret_box.h"
#include "common/uri_encode.h"

#define MASTER_KEY_LEN 32

typedef struct MasterKey
{
	bool		configured;		/* a file or a command is set */
	bool		loaded;
	unsigned char key[MASTER_KEY_LEN];
	unsigned char id[AIGW_KEY_ID_LEN];
	char		id_hex[2 * AIGW_KEY_ID_LEN + 1];
	char		problem[512];	/* configured but not loaded: why */
} MasterKey;

/* [0] the current key, [1] the previous one; NULL until loaded */
static MasterKey *keys = NULL;

#define CURRENT (&keys[0])
#define PREVIOUS (&keys[1])

/* ---------------------------------------------------------------------
 * Loading, in the postmaster
 * ---------------------------------------------------------------------
 */

static MasterKey *
allocate_keys(void)
{
	size_t		size = sizeof(MasterKey) * 2;
	void	   *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return MemoryContextAllocZero(TopMemoryContext, size);
	/* best effort: no swap, no core dump */
	(void) mlock(p, size);
#ifdef MADV_DONTDUMP
	(void) madvise(p, size, MADV_DONTDUMP);
#endif
	memset(p, 0, size);
	return (MasterKey *) p;
}

static void
set_problem(MasterKey *k, const char *fmt,...) pg_attribute_printf(2, 3);

static void
set_problem(MasterKey *k, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(k->problem, sizeof(k->problem), fmt, ap);
	va_end(ap);
}

/* Up to size - 1 bytes of a key file that only its owner may read. */
static ssize_t
read_key_file(MasterKey *k, const char *setting, const char *path, char *buf, size_t size)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t		n = 0;

	if (fd < 0)
	{
		set_problem(k, "%s: could not open \"%s\": %s", setting, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
	{
		set_problem(k, "%s: \"%s\" is not a regular file", setting, path);
		close(fd);
		return -1;
	}
	/* as PostgreSQL does for ssl_key_file */
	if (st.st_mode & (S_IRWXG | S_IRWXO))
	{
		set_problem(k, "%s: \"%s\" has group or world access; it must be readable by its owner only (chmod 600)",
					setting, path);
		close(fd);
		return -1;
	}
	while ((size_t) n < size - 1)
	{
		ssize_t		r = read(fd, buf + n, size - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
		{
			set_problem(k, "%s: could not read \"%s\": %s", setting, path, strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	return n;
}

/* Up to size - 1 bytes of what a command prints; it must succeed. */
static ssize_t
read_key_command(MasterKey *k, const char *setting, const char *command, char *buf, size_t size)
{
	FILE	   *f;
	size_t		n;
	int			status;

	fflush(NULL);
	f = popen(command, "r");
	if (f == NULL)
	{
		set_problem(k, "%s: could not run the command: %s", setting, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, size - 1, f);
	/* read what is left, so the command does not die of SIGPIPE */
	while (!feof(f) && !ferror(f))
	{
		char		rest[64];

		if (fread(rest, 1, sizeof(rest), f) == 0)
			break;
		explicit_bzero(rest, sizeof(rest));
		n = size;				/* too long */
	}
	status = pclose(f);
	if (status != 0)
	{
		char	   *why = wait_result_to_str(status);

		set_problem(k, "%s: the command failed: %s", setting, why);
		pfree(why);
		return -1;
	}
	return (ssize_t) Min(n, size - 1);
}

/* 64 hexadecimal digits, with white space around them allowed. */
static bool
parse_key(MasterKey *k, const char *setting, const char *text, size_t len)
{
	size_t		start = 0;
	size_t		end = len;

	while (start < end && isspace((unsigned char) text[start]))
		start++;
	while (end > start && isspace((unsigned char) text[end - 1]))
		end--;
	if (end - start != 2 * MASTER_KEY_LEN)
	{
		set_problem(k, "%s: the key is not 64 hexadecimal digits (make one with: openssl rand -hex 32)",
					setting);
		return false;
	}
	for (int i = 0; i < MASTER_KEY_LEN; i++)
	{
		int			hi = aigw_hex_digit(text[start + 2 * i]);
		int			lo = aigw_hex_digit(text[start + 2 * i + 1]);

		if (hi < 0 || lo < 0)
		{
			explicit_bzero(k->key, sizeof(k->key));
			set_problem(k, "%s: the key is not 64 hexadecimal digits (make one with: openssl rand -hex 32)",
						setting);
			return false;
		}
		k->key[i] = (unsigned char) (hi << 4 | lo);
	}
	return true;
}

static bool
compute_key_id(MasterKey *k)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;

	if (EVP_Digest(k->key, MASTER_KEY_LEN, md, &mdlen, EVP_sha256(), NULL) != 1)
		return false;
	memcpy(k->id, md, AIGW_KEY_ID_LEN);
	for (int i = 0; i < AIGW_KEY_ID_LEN; i++)
		snprintf(k->id_hex + 2 * i, 3, "%02x", k->id[i]);
	return true;
}

static void
load_one(MasterKey *k, const char *which, const char *file_setting, const char *file,
		 const char *command_setting, const char *command)
{
	char		buf[512];
	ssize_t		n;

	k->configured = (file && file[0]) || (command && command[0]);
	if (!k->configured)
		return;
	if (file && file[0] && command && command[0])
	{
		set_problem(k, "both %s and %s are set; set one of them", file_setting, command_setting);
		n = -1;
	}
	else if (file && file[0])
		n = read_key_file(k, file_setting, file, buf, sizeof(buf));
	else
		n = read_key_command(k, command_setting, command, buf, sizeof(buf));

	if (n >= 0 && parse_key(k, file && file[0] ? file_setting : command_setting, buf, n))
	{
		if (compute_key_id(k))
			k->loaded = true;
		else
		{
			explicit_bzero(k->key, sizeof(k->key));
			set_problem(k, "could not compute the id of the %s master key (OpenSSL)", which);
		}
	}
	explicit_bzero(buf, sizeof(buf));
	if (k->loaded)
		ereport(LOG,
				(errmsg("aigw: %s master key %s loaded", which, k->id_hex)));
	else
		ereport(WARNING,
				(errmsg("aigw: the %s master key could not be read", which),
				 errdetail("%s.", k->problem),
				 errhint("Calls that need a credential sealed under it fail until the server is restarted with a readable key.")));
}

void
aigw_master_keys_load(void)
{
	keys = allocate_keys();
	load_one(CURRENT, "current", "aigw.master_key_file", aigw_master_key_file,
			 "aigw.master_key_command", aigw_master_key_command);
	load_one(PREVIOUS, "previous", "aigw.previous_master_key_file", aigw_previous_master_key_file,
			 "aigw.previous_master_key_command", aigw_previous_master_key_command);
}

/* ---------------------------------------------------------------------
 * Errors that say what to configure
 * ---------------------------------------------------------------------
 */

static const char *const configure_hint =
"Set aigw.master_key_file (or aigw.master_key_command) in postgresql.conf and restart the server; the README's Secrets section says how to make a key.";

static bool
current_loaded(void)
{
	return keys != NULL && CURRENT->loaded;
}

void
aigw_require_master_key(void)
{
	aigw_require_preload();
	if (current_loaded())
		return;
	if (CURRENT->configured)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the master key could not be read when the server started"),
				 errdetail("%s.", CURRENT->problem),
				 errhint("Fix the setting or the key, and restart the server.")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("no master key is configured"),
			 errdetail("aigw stores provider keys encrypted under a master key kept outside the database, and never in clear."),
			 errhint("%s", configure_hint)));
}

const char *
aigw_master_key_id(void)
{
	return current_loaded() ? CURRENT->id_hex : NULL;
}

/* ---------------------------------------------------------------------
 * Sealing and opening
 * ---------------------------------------------------------------------
 */

#define HEADER_LEN (1 + AIGW_KEY_ID_LEN)

static MasterKey *
key_for(const char *sealed, size_t len)
{
	if (keys == NULL || len < AIGW_SEALED_OVERHEAD || sealed[0] != AIGW_SEALED_VERSION)
		return NULL;
	for (int i = 0; i < 2; i++)
		if (keys[i].loaded && memcmp(sealed + 1, keys[i].id, AIGW_KEY_ID_LEN) == 0)
			return &keys[i];
	return NULL;
}

AigwSealedBy
aigw_secret_sealed_by(const char *sealed, size_t len)
{
	MasterKey  *k;

	if (len < AIGW_SEALED_OVERHEAD || sealed[0] != AIGW_SEALED_VERSION)
		return SEALED_MALFORMED;
	k = key_for(sealed, len);
	if (k == NULL)
		return SEALED_BY_UNKNOWN;
	return k == CURRENT ? SEALED_BY_CURRENT : SEALED_BY_PREVIOUS;
}

/* The header and the provider's name, authenticated with the ciphertext. */
static bool
add_associated_data(EVP_CIPHER_CTX *ctx, const unsigned char *header, const char *provider, bool encrypt)
{
	int			outl;

	if (encrypt)
		return EVP_EncryptUpdate(ctx, NULL, &outl, header, HEADER_LEN) == 1 &&
			EVP_EncryptUpdate(ctx, NULL, &outl, (const unsigned char *) provider, strlen(provider)) == 1;
	return EVP_DecryptUpdate(ctx, NULL, &outl, header, HEADER_LEN) == 1 &&
		EVP_DecryptUpdate(ctx, NULL, &outl, (const unsigned char *) provider, strlen(provider)) == 1;
}

bytea *
aigw_secret_seal(const char *provider, const char *plaintext, size_t len)
{
	bytea	   *out;
	unsigned char *p;
	unsigned char *nonce;
	unsigned char *ct;
	EVP_CIPHER_CTX *ctx;
	int			outl = 0;
	int			finl = 0;
	bool		ok;

	aigw_require_master_key();
	out = palloc(VARHDRSZ + AIGW_SEALED_OVERHEAD + len);
	SET_VARSIZE(out, VARHDRSZ + AIGW_SEALED_OVERHEAD + len);
	p = (unsigned char *) VARDATA(out);
	p[0] = AIGW_SEALED_VERSION;
	memcpy(p + 1, CURRENT->id, AIGW_KEY_ID_LEN);
	nonce = p + HEADER_LEN;
	ct = nonce + AIGW_NONCE_LEN;
	if (RAND_bytes(nonce, AIGW_NONCE_LEN) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random nonce to encrypt the credential")));

	ctx = EVP_CIPHER_CTX_new();
	ok = ctx != NULL &&
		EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, AIGW_NONCE_LEN, NULL) == 1 &&
		EVP_EncryptInit_ex(ctx, NULL, NULL, CURRENT->key, nonce) == 1 &&
		add_associated_data(ctx, p, provider, true) &&
		EVP_EncryptUpdate(ctx, ct, &outl, (const unsigned char *) plaintext, (int) len) == 1 &&
		EVP_EncryptFinal_ex(ctx, ct + outl, &finl) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, AIGW_TAG_LEN, ct + len) == 1;
	if (ctx)
		EVP_CIPHER_CTX_free(ctx);
	if (!ok || (size_t) (outl + finl) != len)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not encrypt the credential of provider \"%s\"", provider)));
	return out;
}

char *
aigw_secret_open(const char *provider, const char *sealed, size_t len, const char **error)
{
	const unsigned char *p = (const unsigned char *) sealed;
	MasterKey  *k = key_for(sealed, len);
	size_t		ctlen;
	char	   *plain;
	EVP_CIPHER_CTX *ctx;
	int			outl = 0;
	int			finl = 0;
	bool		ok;

	*error = NULL;
	if (k == NULL)
	{
		*error = aigw_secret_sealed_by(sealed, len) == SEALED_MALFORMED
			? "it is not in a format this aigw version reads"
			: "it was encrypted under a master key this server does not have";
		return NULL;
	}
	ctlen = len - AIGW_SEALED_OVERHEAD;
	plain = palloc(ctlen + 1);
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx != NULL &&
		EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, AIGW_NONCE_LEN, NULL) == 1 &&
		EVP_DecryptInit_ex(ctx, NULL, NULL, k->key, p + HEADER_LEN) == 1 &&
		add_associated_data(ctx, p, provider, false) &&
		EVP_DecryptUpdate(ctx, (unsigned char *) plain, &outl,
						  p + HEADER_LEN + AIGW_NONCE_LEN, (int) ctlen) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, AIGW_TAG_LEN,
							(void *) (p + HEADER_LEN + AIGW_NONCE_LEN + ctlen)) == 1 &&
		EVP_DecryptFinal_ex(ctx, (unsigned char *) plain + outl, &finl) == 1;
	if (ctx)
		EVP_CIPHER_CTX_free(ctx);
	if (!ok || (size_t) (outl + finl) != ctlen)
	{
		explicit_bzero(plain, ctlen + 1);
		pfree(plain);
		*error = "it does not decrypt: it was altered, or copied from another provider's row";
		return NULL;
	}
	plain[ctlen] = '\0';
	return plain;
}

/* The id of the key a credential was sealed under, in hex. */
static char *
sealed_key_id(const char *sealed)
{
	char	   *hex = palloc(2 * AIGW_KEY_ID_LEN + 1);

	for (int i = 0; i < AIGW_KEY_ID_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char) sealed[1 + i]);
	return hex;
}

/*
 * What the calling backend checks before it sends: the worker will find
 * the key this credential needs.  The errors name what to configure.
 */
void
aigw_secret_check(const char *provider, const char *sealed, size_t len)
{
	StringInfoData have;

	switch (aigw_secret_sealed_by(sealed, len))
	{
		case SEALED_BY_CURRENT:
		case SEALED_BY_PREVIOUS:
			return;
		case SEALED_MALFORMED:
			ereport(ERROR,
					(errcode(ERRCODE_AIGW_NO_CREDENTIAL),
					 errmsg("the stored credential of provider \"%s\" is not in a format this aigw version reads",
							provider),
					 errhint("Set it again: SELECT aigw.set_credential('%s', '<api key>').", provider)));
		case SEALED_BY_UNKNOWN:
			break;
	}
	if (keys == NULL)
		aigw_require_preload();	/* the keys are read by a preloaded aigw only */

	if (!current_loaded() && !CURRENT->configured)
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_CREDENTIAL),
				 errmsg("the credential of provider \"%s\" cannot be decrypted: no master key is configured",
						provider),
				 errdetail("Provider keys are stored encrypted; the master key that decrypts them is read from a file or a command when the server starts."),
				 errhint("%s", configure_hint)));
	if (!current_loaded())
		ereport(ERROR,
				(errcode(ERRCODE_AIGW_NO_CREDENTIAL),
				 errmsg("the credential of provider \"%s\" cannot be decrypted: the master key could not be read when the server started",
						provider),
				 errdetail("%s.", CURRENT->problem),
				 errhint("Fix aigw.master_key_file (or aigw.master_key_command) and restart the server.")));

	initStringInfo(&have);
	appendStringInfo(&have, "this server has master key %s", CURRENT->id_hex);
	if (PREVIOUS->loaded)
		appendStringInfo(&have, " and previous master key %s", PREVIOUS->id_hex);
	else if (PREVIOUS->configured)
		appendStringInfo(&have, "; the previous master key could not be read (%s)", PREVIOUS->problem);
	ereport(ERROR,
			(errcode(ERRCODE_AIGW_NO_CREDENTIAL),
			 errmsg("the credential of provider \"%s\" was encrypted under another master key", provider),
			 errdetail("It needs master key %s; %s.", sealed_key_id(sealed), have.data),
			 errhint("Configure the key it was stored under as aigw.previous_master_key_file (then SELECT aigw.rotate_credentials()) or as aigw.master_key_file, and restart the server; or set the credential again with aigw.set_credential.")));
}
