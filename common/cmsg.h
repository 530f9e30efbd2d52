/* SPDX-License-Identifier: MIT
 * cmsg.h -- the catalogue of what common/ says to a person (common/cmsg.def):
 * refusals of typed input and of an op, the same sentences in both programs,
 * Vietnamese by default (DESIGN §8). The lookup is common/msgcat's. */
#ifndef DS_COMMON_CMSG_H
#define DS_COMMON_CMSG_H
#include "common/msgcat.h"

enum cmsg_id {
#define M(id, vi, en) id,
#include "common/cmsg.def"
#undef M
  CM_COUNT
};

extern const struct msgcat cmsg_cat;

#define cmsg(id) msgcat_get(&cmsg_cat, (int)(id))
#define cmsg_fail(...) msgcat_fail(&cmsg_cat, __VA_ARGS__)
/* Entity |ent|'s name in a sentence ("kiến nghị"), in the chosen language
 * or in English (|en|); "bản ghi"/"record" for -1. */
const char *cmsg_ent(int ent);
const char *cmsg_ent_in(int ent, bool en);
#endif
