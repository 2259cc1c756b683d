#include "json.h"

#include <stdlib.h>
#include <string.h>

static int parse_value(const char *s, int len, int *p, jtok_t *t, int *n, int max);

static void ws(const char *s, int len, int *p) {
  while (*p < len && (s[*p] == ' ' || s[*p] == '\n' || s[*p] == '\r' || s[*p] == '\t')) (*p)++;
}

static int parse_value(const char *s, int len, int *p, jtok_t *t, int *n, int max) {
  int me;
  ws(s, len, p);
  if (*p >= len || *n >= max) return -1;
  me = (*n)++;
  t[me].start = *p;
  t[me].size = 0;
  if (s[*p] == '{' || s[*p] == '[') {
    char close = s[*p] == '{' ? '}' : ']';
    t[me].type = s[*p] == '{' ? J_OBJ : J_ARR;
    (*p)++;
    ws(s, len, p);
    if (*p < len && s[*p] == close) { (*p)++; t[me].end = *p; return me; }
    for (;;) {
      if (t[me].type == J_OBJ) {
        if (parse_value(s, len, p, t, n, max) < 0) return -1; /* key */
        ws(s, len, p);
        if (*p >= len || s[*p] != ':') return -1;
        (*p)++;
      }
      if (parse_value(s, len, p, t, n, max) < 0) return -1;
      t[me].size++;
      ws(s, len, p);
      if (*p < len && s[*p] == ',') { (*p)++; continue; }
      if (*p < len && s[*p] == close) { (*p)++; break; }
      return -1;
    }
  } else if (s[*p] == '"') {
    t[me].type = J_STR;
    (*p)++;
    t[me].start = *p;
    while (*p < len && s[*p] != '"') *p += s[*p] == '\\' ? 2 : 1;
    if (*p >= len) return -1;
    t[me].end = *p;
    (*p)++;
    return me;
  } else {
    t[me].type = J_PRIM;
    while (*p < len && !strchr(",]} \n\r\t", s[*p])) (*p)++;
  }
  t[me].end = *p;
  return me;
}

int json_parse(const char *s, int len, jtok_t *t, int max) {
  int p = 0, n = 0;
  return parse_value(s, len, &p, t, &n, max) < 0 ? -1 : n;
}

int json_skip(const jtok_t *t, int i) {
  int k, j = i + 1;
  if (t[i].type == J_OBJ) for (k = 0; k < t[i].size; k++) j = json_skip(t, j + 1);
  else if (t[i].type == J_ARR) for (k = 0; k < t[i].size; k++) j = json_skip(t, j);
  return j;
}

int json_get(const char *s, const jtok_t *t, int i, const char *key) {
  int k, j = i + 1, kl = (int)strlen(key);
  if (i < 0 || t[i].type != J_OBJ) return -1;
  for (k = 0; k < t[i].size; k++) {
    if (t[j].end - t[j].start == kl && !strncmp(s + t[j].start, key, (size_t)kl)) return j + 1;
    j = json_skip(t, j + 1);
  }
  return -1;
}

int json_at(const jtok_t *t, int i, int k) {
  int j = i + 1, m;
  if (i < 0 || t[i].type != J_ARR || k >= t[i].size) return -1;
  for (m = 0; m < k; m++) j = json_skip(t, j);
  return j;
}

double json_num(const char *s, const jtok_t *t, int i) { return i < 0 ? 0 : strtod(s + t[i].start, NULL); }

void json_str(const char *s, const jtok_t *t, int i, char *buf, int cap) {
  int l = i < 0 ? 0 : t[i].end - t[i].start;
  if (l >= cap) l = cap - 1;
  if (l > 0) memcpy(buf, s + t[i].start, (size_t)l);
  buf[l < 0 ? 0 : l] = 0;
}
