// Owns the one thing the pam_exec shim needs that node only offers through its event loop and
// node:net (whose loading alone costs a fresh process ~3 ms): a connected UNIX stream socket
// as a plain blocking file descriptor, with receive and send timeouts. Reading, writing and
// closing that descriptor is left to node:fs (src/rpc/http2-unary-blocking.ts).
//
// A Node-API module (ABI-stable across node versions); `make build` compiles it into
// dist/native/unix-socket.node with the system's C compiler. Errors are thrown as Error
// objects whose `code` is the errno name ("ENOENT", "ECONNREFUSED", "EAGAIN" for a timeout).
// A signal does not break a connect: it is retried with what is left of its timeout (the
// JavaScript side does the same for reads and writes, which a socket timeout keeps the
// kernel from restarting).
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <node_api.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/** The longest timeout accepted, in milliseconds (one day: far above any sane deadline). */
#define MAX_TIMEOUT_MS 86400000.0

static napi_value throw_errno(napi_env env, const char *syscall, int error) {
  char text[128];
  char message[192];
  // The GNU strerror_r (thread-safe: the addon also runs in worker threads).
  snprintf(message, sizeof message, "%s: %s", syscall, strerror_r(error, text, sizeof text));
  char code[24];
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *name = strerrorname_np(error);
#else
  const char *name = NULL;
#endif
  if (name != NULL) snprintf(code, sizeof code, "%s", name);
  else snprintf(code, sizeof code, "ERRNO_%d", error);
  napi_throw_error(env, code, message);
  return NULL;
}

/** The timeout argument: a finite number of milliseconds in [1, MAX_TIMEOUT_MS]; false after a throw. */
static int read_timeout(napi_env env, napi_value value, double *milliseconds) {
  if (napi_get_value_double(env, value, milliseconds) != napi_ok || !isfinite(*milliseconds) || *milliseconds < 1 || *milliseconds > MAX_TIMEOUT_MS) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "timeoutMs must be a number of milliseconds from 1 to 86400000");
    return 0;
  }
  return 1;
}

static double monotonic_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

/** SO_RCVTIMEO and SO_SNDTIMEO: a blocking read, write or connect fails with EAGAIN after this long. */
static int set_timeouts(int fd, double milliseconds) {
  struct timeval timeout;
  long long microseconds = (long long)ceil(milliseconds * 1000.0);
  timeout.tv_sec = (time_t)(microseconds / 1000000);
  timeout.tv_usec = (suseconds_t)(microseconds % 1000000);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) return -1;
  return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

/** connect(path: string, timeoutMs: number): number — a blocking, close-on-exec socket connected to path. */
static napi_value Connect(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "connect(path, timeoutMs) takes two arguments");
    return NULL;
  }
  struct sockaddr_un address;
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  size_t length = 0;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &length) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "path must be a string");
    return NULL;
  }
  // sun_path holds at most 107 bytes and the terminating NUL.
  if (length == 0 || length >= sizeof address.sun_path) return throw_errno(env, "connect", length == 0 ? ENOENT : ENAMETOOLONG);
  napi_get_value_string_utf8(env, argv[0], address.sun_path, sizeof address.sun_path, &length);
  if (strlen(address.sun_path) != length) return throw_errno(env, "connect", EINVAL);
  double milliseconds;
  if (!read_timeout(env, argv[1], &milliseconds)) return NULL;

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  const double deadline = monotonic_ms() + milliseconds;
  for (;;) {
    // SO_SNDTIMEO also bounds connect() while the server's listen backlog is full.
    if (set_timeouts(fd, milliseconds) != 0) {
      int error = errno;
      close(fd);
      return throw_errno(env, "setsockopt", error);
    }
    if (connect(fd, (struct sockaddr *)&address, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length + 1)) == 0) break;
    int error = errno;
    // Interrupted while it waited for room in the backlog: still unconnected, so try again.
    if (error == EINTR) {
      milliseconds = deadline - monotonic_ms();
      if (milliseconds >= 1) continue;
      error = EAGAIN;
    }
    close(fd);
    return throw_errno(env, "connect", error);
  }
  napi_value result;
  if (napi_create_int32(env, fd, &result) != napi_ok) {
    close(fd);
    return NULL;
  }
  return result;
}

/** setTimeouts(fd: number, timeoutMs: number): undefined — bound the next blocking reads and writes. */
static napi_value SetTimeouts(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 || napi_get_value_double(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "setTimeouts(fd, timeoutMs) takes a descriptor and a timeout");
    return NULL;
  }
  // A whole number in int's range: never a different descriptor after truncation.
  if (!(fd >= 0 && fd <= INT_MAX && floor(fd) == fd)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "fd must be a whole number from 0 to 2147483647");
    return NULL;
  }
  double milliseconds;
  if (!read_timeout(env, argv[1], &milliseconds)) return NULL;
  if (set_timeouts((int)fd, milliseconds) != 0) return throw_errno(env, "setsockopt", errno);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"connect", NULL, Connect, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setTimeouts", NULL, SetTimeouts, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}
