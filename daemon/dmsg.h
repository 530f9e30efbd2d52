/* SPDX-License-Identifier: MIT
 * dmsg.h -- dansyncd's message catalogue: every sentence the district's
 * admin commands say to a person, in Vietnamese (the default) and English
 * (DANSYNC_LANG=en), from daemon/dmsg.def. The lookup is common/msgcat's,
 * shared with the client's catalogue. Lines written to the daemon's log
 * file (daemon/log.c) are not here: they stay one greppable English form
 * for operators' tools. */
#ifndef DS_DAEMON_DMSG_H
#define DS_DAEMON_DMSG_H
#include "common/msgcat.h"

enum dmsg_id {
#define M(id, vi, en) id,
#include "daemon/dmsg.def"
#undef M
  DM_COUNT
};

extern const struct msgcat dmsg_cat;

#define dmsg(id) msgcat_get(&dmsg_cat, (int)(id))
#define dmsg_fmt(out, ...) msgcat_fmt(&dmsg_cat, (out), __VA_ARGS__)
#define dmsg_print(...) msgcat_print(&dmsg_cat, __VA_ARGS__)
#define dmsg_fail(...) msgcat_fail(&dmsg_cat, __VA_ARGS__)
#endif
