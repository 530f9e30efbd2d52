/* SPDX-License-Identifier: MIT
 * cmsg.c -- common's catalogue's two columns (common/cmsg.def). */
#include "common/cmsg.h"

#include "common/schema.h"

static const char *const texts[CM_COUNT][2] = {
#define M(id, vi, en) [id] = {vi, en},
#include "common/cmsg.def"
#undef M
};

const struct msgcat cmsg_cat = {texts, CM_COUNT};

const char *cmsg_ent(int ent) {
  return cmsg_ent_in(ent, msgcat_english());
}

const char *cmsg_ent_in(int ent, bool en) {
  static const enum cmsg_id names[] = {[ENT_MEETING] = CM_ENT_MEETING,
                                       [ENT_PETITION] = CM_ENT_PETITION,
                                       [ENT_SURVEY] = CM_ENT_SURVEY,
                                       [ENT_VISIT] = CM_ENT_VISIT};
  if (ent < 0 || ent >= SCHEMA_NENT)
    return msgcat_in(&cmsg_cat, CM_ENT_RECORD, en);
  return msgcat_in(&cmsg_cat, (int)names[ent], en);
}
