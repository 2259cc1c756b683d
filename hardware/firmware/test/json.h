/* Minimal JSON tokenizer for the test vectors (tests only; static token pool, no allocation). */
#ifndef S2R_TEST_JSON_H
#define S2R_TEST_JSON_H

enum { J_OBJ, J_ARR, J_STR, J_PRIM };
typedef struct { int type, start, end, size; } jtok_t;

/* Tokenize; returns token count or -1. */
int json_parse(const char *s, int len, jtok_t *t, int max);
/* Index just past token i's subtree. */
int json_skip(const jtok_t *t, int i);
/* Value token of key in object i, or -1. */
int json_get(const char *s, const jtok_t *t, int i, const char *key);
/* k-th element of array i, or -1. */
int json_at(const jtok_t *t, int i, int k);
double json_num(const char *s, const jtok_t *t, int i);
/* Copy a string token (no escapes in our vectors) into buf. */
void json_str(const char *s, const jtok_t *t, int i, char *buf, int cap);

#endif
