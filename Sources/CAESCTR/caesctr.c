// An OpenSSL ENGINE for AES-CTR that serves libssh2 1.10's one-block-at-a-time EVP_Cipher calls
// from a keystream computed in bulk. See include/caesctr.h.
#include "caesctr.h"

#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

enum { KEYSTREAM = 16384 };

typedef struct {
    EVP_CIPHER_CTX *ecb;              // AES-ECB with the session key: encrypts counter blocks
    uint64_t high, low;               // the next counter block, a 128-bit big-endian integer
    unsigned char keystream[KEYSTREAM];
    unsigned char counters[KEYSTREAM];
    size_t used;                      // keystream bytes consumed
} keystream_state;

static unsigned long refills;

static int refill(keystream_state *state) {
    uint64_t *blocks = (uint64_t *)state->counters;
    for (size_t i = 0; i < KEYSTREAM / 8; i += 2) {
        blocks[i] = __builtin_bswap64(state->high);
        blocks[i + 1] = __builtin_bswap64(state->low);
        if (++state->low == 0) state->high++;
    }
    int written = 0;
    if (!EVP_EncryptUpdate(state->ecb, state->keystream, &written, state->counters, KEYSTREAM)
        || written != KEYSTREAM) {
        return 0;
    }
    state->used = 0;
    __atomic_fetch_add(&refills, 1, __ATOMIC_RELAXED);
    return 1;
}

static int keystream_init(EVP_CIPHER_CTX *context, const unsigned char *key, const unsigned char *iv, int encrypt) {
    (void)encrypt;  // CTR: the same operation both ways
    keystream_state *state = EVP_CIPHER_CTX_get_cipher_data(context);
    if (key != NULL) {
        const int length = EVP_CIPHER_CTX_get_key_length(context);
        const char *name = length == 16 ? "AES-128-ECB" : length == 24 ? "AES-192-ECB" : "AES-256-ECB";
        EVP_CIPHER *ecb = EVP_CIPHER_fetch(NULL, name, NULL);
        if (ecb == NULL) return 0;
        if (state->ecb == NULL) state->ecb = EVP_CIPHER_CTX_new();
        int ok = state->ecb != NULL && EVP_EncryptInit_ex2(state->ecb, ecb, key, NULL, NULL)
            && EVP_CIPHER_CTX_set_padding(state->ecb, 0);
        EVP_CIPHER_free(ecb);
        if (!ok) return 0;
        state->used = KEYSTREAM;  // never serve keystream of an earlier key
    }
    if (iv != NULL) {
        uint64_t high, low;
        memcpy(&high, iv, 8);
        memcpy(&low, iv + 8, 8);
        state->high = __builtin_bswap64(high);
        state->low = __builtin_bswap64(low);
        state->used = KEYSTREAM;  // refill from the new counter on first use
    }
    return 1;
}

// Returns 1, or -1 on failure with `out` zeroed: libssh2 1.10 built against OpenSSL 3 takes any
// result but -1 as success and would send whatever `out` held.
static int fail(unsigned char *out, size_t length) {
    memset(out, 0, length);
    return -1;
}

static int keystream_cipher(EVP_CIPHER_CTX *context, unsigned char *out, const unsigned char *in, size_t length) {
    keystream_state *state = EVP_CIPHER_CTX_get_cipher_data(context);
    if (state == NULL || state->ecb == NULL) return fail(out, length);
    if (length == 16 && state->used <= KEYSTREAM - 16) {  // libssh2's case
        uint64_t a, b, x, y;
        memcpy(&a, in, 8);
        memcpy(&b, in + 8, 8);
        memcpy(&x, state->keystream + state->used, 8);
        memcpy(&y, state->keystream + state->used + 8, 8);
        a ^= x;
        b ^= y;
        memcpy(out, &a, 8);
        memcpy(out + 8, &b, 8);
        state->used += 16;
        return 1;
    }
    while (length > 0) {
        if (state->used == KEYSTREAM && !refill(state)) return fail(out, length);
        size_t count = KEYSTREAM - state->used;
        if (count > length) count = length;
        const unsigned char *stream = state->keystream + state->used;
        for (size_t i = 0; i < count; i++) out[i] = in[i] ^ stream[i];
        out += count;
        in += count;
        length -= count;
        state->used += count;
    }
    return 1;
}

static int keystream_cleanup(EVP_CIPHER_CTX *context) {
    keystream_state *state = EVP_CIPHER_CTX_get_cipher_data(context);
    if (state != NULL) {
        EVP_CIPHER_CTX_free(state->ecb);
        OPENSSL_cleanse(state, sizeof *state);
    }
    return 1;
}

static const int nids[3] = {NID_aes_128_ctr, NID_aes_192_ctr, NID_aes_256_ctr};
static EVP_CIPHER *methods[3];

static int ciphers(ENGINE *engine, const EVP_CIPHER **cipher, const int **list, int nid) {
    (void)engine;
    if (cipher == NULL) {
        *list = nids;
        return 3;
    }
    for (int i = 0; i < 3; i++) {
        if (nids[i] == nid) {
            *cipher = methods[i];
            return 1;
        }
    }
    *cipher = NULL;
    return 0;
}

int caesctr_install(void) {
    for (int i = 0; i < 3; i++) {
        EVP_CIPHER *method = EVP_CIPHER_meth_new(nids[i], 1, 16 + 8 * i);
        if (method == NULL || !EVP_CIPHER_meth_set_iv_length(method, 16)
            || !EVP_CIPHER_meth_set_flags(method, EVP_CIPH_CTR_MODE | EVP_CIPH_ALWAYS_CALL_INIT)
            || !EVP_CIPHER_meth_set_init(method, keystream_init)
            || !EVP_CIPHER_meth_set_do_cipher(method, keystream_cipher)
            || !EVP_CIPHER_meth_set_cleanup(method, keystream_cleanup)
            || !EVP_CIPHER_meth_set_impl_ctx_size(method, sizeof(keystream_state))) {
            return 0;
        }
        methods[i] = method;
    }
    ENGINE *engine = ENGINE_new();
    if (engine == NULL) return 0;
    int ok = ENGINE_set_id(engine, "coordinator-aes-ctr") && ENGINE_set_name(engine, "AES-CTR, bulk keystream")
        && ENGINE_set_ciphers(engine, ciphers) && ENGINE_set_default_ciphers(engine);
    ENGINE_free(engine);  // the default-cipher table keeps its own reference
    return ok;
}

unsigned long caesctr_refills(void) {
    return __atomic_load_n(&refills, __ATOMIC_RELAXED);
}

int caesctr_evp_crypt(const unsigned char *key, int key_length, const unsigned char *iv,
                      unsigned char *data, size_t len) {
    const EVP_CIPHER *cipher = key_length == 16 ? EVP_aes_128_ctr() : key_length == 24 ? EVP_aes_192_ctr()
        : key_length == 32 ? EVP_aes_256_ctr() : NULL;
    EVP_CIPHER_CTX *context = EVP_CIPHER_CTX_new();
    int ok = cipher != NULL && context != NULL && EVP_CipherInit(context, cipher, key, iv, 1);
    unsigned char block[16];
    for (size_t offset = 0; ok && offset + 16 <= len; offset += 16) {
        ok = EVP_Cipher(context, block, data + offset, 16) > 0;
        memcpy(data + offset, block, 16);
    }
    EVP_CIPHER_CTX_free(context);
    return ok && len % 16 == 0;
}
