#ifndef CAESCTR_H
#define CAESCTR_H

#include <stddef.h>

/// Makes OpenSSL's aes-128/192/256-ctr ciphers (looked up by libssh2 1.10 through EVP_aes_*_ctr)
/// cheap to call 16 bytes at a time: the keystream is produced 16 KiB at a time with one AES-ECB
/// call over the counter blocks, and each EVP_Cipher call XORs from it. Process-wide (an OpenSSL
/// ENGINE set as the default for those three ciphers). Returns 1 when installed, 0 when OpenSSL
/// refused (everything then keeps working through OpenSSL's own implementation). Call once.
int caesctr_install(void);

/// Keystream refills (16 KiB each) served so far, process-wide: shows that the engine is in use.
unsigned long caesctr_refills(void);

/// Test helper: AES-CTR over `len` bytes of `data` in place with the given key (16, 24 or 32
/// bytes) and 16-byte initial counter, through EVP_aes_*_ctr in 16-byte EVP_Cipher calls, as
/// libssh2 1.10 makes them. Returns 1 on success.
int caesctr_evp_crypt(const unsigned char *key, int key_length, const unsigned char *iv,
                      unsigned char *data, size_t len);

#endif
