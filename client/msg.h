/* SPDX-License-Identifier: MIT
 * msg.h -- dansync's message catalogue: every sentence the field client
 * says to a person, in Vietnamese and English (DESIGN §8 "For the people
 * who type it"). The texts live in client/msg.def, one line per message,
 * for a translator to edit; a message's printf conversions are the same in
 * both languages (test_msg checks). */
#ifndef DS_CLIENT_MSG_H
#define DS_CLIENT_MSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum msg_id {
#define M(id, vi, en) id,
#include "client/msg.def"
#undef M
  MSG_COUNT
};

/* True when messages are English: DANSYNC_LANG=en, or DANSYNC_LANG unset
 * and LANG naming a language other than Vietnamese (not C or POSIX). */
bool msg_english(void);
/* The text of |id| in the chosen language. */
const char *msg(enum msg_id id);
/* The text of |id| in Vietnamese (|en| false) or English. */
const char *msg_in(enum msg_id id, bool en);
/* printf with |id|'s text as the format, into |out| (|cap| bytes, cut
 * short if need be) or onto |f|. */
void msg_fmt(char *out, size_t cap, enum msg_id id, ...);
void msg_print(FILE *f, enum msg_id id, ...);
/* As ds_fail with |id|'s text: the sentence into |errbuf| (DS_ERRBUF_LEN
 * bytes, may be NULL); returns |rc|. */
int msg_fail(char *errbuf, int rc, enum msg_id id, ...);
#endif
