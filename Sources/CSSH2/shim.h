#ifndef CSSH2_SHIM_H
#define CSSH2_SHIM_H

#include <libssh2.h>
#include <libssh2_sftp.h>
#include <libssh2_publickey.h>

// libssh2 exposes several entry points only as C macros, which Swift does not import.
// These inline wrappers give them real symbols.

static inline LIBSSH2_CHANNEL *cssh2_channel_open_session(LIBSSH2_SESSION *session) {
    return libssh2_channel_open_session(session);
}

static inline int cssh2_channel_exec(LIBSSH2_CHANNEL *channel, const char *command) {
    return libssh2_channel_exec(channel, command);
}

static inline ssize_t cssh2_channel_read(LIBSSH2_CHANNEL *channel, char *buf, size_t len) {
    return libssh2_channel_read(channel, buf, len);
}

static inline ssize_t cssh2_channel_read_stderr(LIBSSH2_CHANNEL *channel, char *buf, size_t len) {
    return libssh2_channel_read_stderr(channel, buf, len);
}

static inline ssize_t cssh2_channel_write(LIBSSH2_CHANNEL *channel, const char *buf, size_t len) {
    return libssh2_channel_write(channel, buf, len);
}

static inline int cssh2_userauth_publickey_fromfile(LIBSSH2_SESSION *session, const char *user,
                                                    const char *publickey, const char *privatekey,
                                                    const char *passphrase) {
    return libssh2_userauth_publickey_fromfile(session, user, publickey, privatekey, passphrase);
}

static inline int cssh2_session_handshake(LIBSSH2_SESSION *session, libssh2_socket_t sock) {
    return libssh2_session_handshake(session, sock);
}

static inline LIBSSH2_SESSION *cssh2_session_init(void) {
    return libssh2_session_init();
}

static inline int cssh2_session_disconnect(LIBSSH2_SESSION *session, const char *description) {
    return libssh2_session_disconnect(session, description);
}

static inline LIBSSH2_SFTP_HANDLE *cssh2_sftp_open(LIBSSH2_SFTP *sftp, const char *filename,
                                                   unsigned long flags, long mode) {
    return libssh2_sftp_open(sftp, filename, flags, mode);
}

static inline int cssh2_channel_send_eof(LIBSSH2_CHANNEL *channel) {
    return libssh2_channel_send_eof(channel);
}

static inline int cssh2_channel_flush(LIBSSH2_CHANNEL *channel) {
    return libssh2_channel_flush(channel);
}

static inline int cssh2_knownhost_readfile(LIBSSH2_KNOWNHOSTS *hosts, const char *filename) {
    return libssh2_knownhost_readfile(hosts, filename, LIBSSH2_KNOWNHOST_FILE_OPENSSH);
}

#endif
