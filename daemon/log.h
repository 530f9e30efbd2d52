/* SPDX-License-Identifier: MIT
 * log.h -- one line per event on stderr:
 * <iso8601> <LEVEL> <module>: <message> key=value. The level is set once,
 * before the loop runs; arguments are not evaluated below it. */
#ifndef DS_DAEMON_LOG_H
#define DS_DAEMON_LOG_H

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_level(void);
void log_write(enum log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_AT(lvl, mod, ...)           \
  do {                                  \
    if ((lvl) <= log_level())           \
      log_write(lvl, mod, __VA_ARGS__); \
  } while (0)
#define LOG_ERROR(mod, ...) LOG_AT(LOG_LVL_ERROR, mod, __VA_ARGS__)
#define LOG_WARN(mod, ...) LOG_AT(LOG_LVL_WARN, mod, __VA_ARGS__)
#define LOG_INFO(mod, ...) LOG_AT(LOG_LVL_INFO, mod, __VA_ARGS__)
#define LOG_DEBUG(mod, ...) LOG_AT(LOG_LVL_DEBUG, mod, __VA_ARGS__)
#endif
