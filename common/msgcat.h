/* SPDX-License-Identifier: MIT
 * msgcat.h -- a message catalogue: every sentence a program says to a
 * person, in Vietnamese and English (DESIGN §8 "For the people who type
 * it"). Each program keeps its own texts in a .def file of M(ID, "Tiếng
 * Việt", "English") lines (client/msg.def, daemon/dmsg.def, and
 * common/cmsg.def for the refusals common/ makes); this module is the
 * lookup and formatting they share. A message's printf conversions are the
 * same in both languages (test_msg checks). */
#ifndef DS_COMMON_MSGCAT_H
#define DS_COMMON_MSGCAT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* |count| messages, each {Vietnamese, English}. */
struct msgcat {
  const char *const (*texts)[2];
  int count;
};

/* True when messages are English: DANSYNC_LANG=en, or DANSYNC_LANG unset
 * and LANG naming a language other than Vietnamese (not C or POSIX). */
bool msgcat_english(void);
/* The text of message |id| of |c| in Vietnamese (|en| false) or English;
 * "" for an id out of range. */
const char *msgcat_in(const struct msgcat *c, int id, bool en);
/* The text of |id| in the chosen language. */
const char *msgcat_get(const struct msgcat *c, int id);
/* printf with |id|'s text as the format, into |out| (|cap| bytes, cut
 * short at a character boundary if need be) or onto |f|. */
void msgcat_fmt(const struct msgcat *c, char *out, size_t cap, int id, ...);
void msgcat_print(const struct msgcat *c, FILE *f, int id, ...);
/* As ds_fail with |id|'s text: the sentence into |errbuf| (DS_ERRBUF_LEN
 * bytes, may be NULL); returns |rc|. */
int msgcat_fail(const struct msgcat *c, char *errbuf, int rc, int id, ...);
/* As msgcat_fail, in English (|en|) or Vietnamese whatever the chosen
 * language: for text kept in a store or sent over the wire. */
int msgcat_fail_in(const struct msgcat *c, bool en, char *errbuf, int rc,
                   int id, ...);
#endif
