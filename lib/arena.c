/*
 * arena.c: bump allocation for per-request data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_CHUNK	16384
#define ARENA_ALIGN	(sizeof(max_align_t))

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 cap;
	max_align_t		 data[];
};

/* Prepares an empty arena. */
void
arena_init(struct arena *a, size_t limit)
{
	a->head = NULL;
	a->used = 0;
	a->total = 0;
	a->limit = limit;
}

/* Adds a chunk able to hold at least n bytes; returns 0 or -1. */
static int
arena_grow(struct arena *a, size_t n)
{
	struct arena_chunk	*c;
	size_t			 cap = ARENA_CHUNK;

	while (cap < n) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	if (cap > SIZE_MAX - sizeof(*c))
		return -1;
	if ((c = malloc(sizeof(*c) + cap)) == NULL)
		return -1;
	c->cap = cap;
	c->next = a->head;
	a->head = c;
	a->used = 0;
	return 0;
}

/* Returns n bytes aligned for any object, or NULL. */
void *
arena_alloc(struct arena *a, size_t n)
{
	size_t	 need;
	char	*p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (a->limit != 0 && (need > a->limit || a->total > a->limit - need))
		return NULL;
	if (a->head == NULL || a->head->cap - a->used < need) {
		/* Reuse the kept first chunk after a reset when it fits. */
		if (arena_grow(a, need) == -1)
			return NULL;
	}
	p = (char *)a->head->data + a->used;
	a->used += need;
	a->total += need;
	return p;
}

/* Copies s into the arena. */
int
arena_dup(struct arena *a, struct xstr s, struct xstr *out)
{
	char	*p;

	if ((p = arena_alloc(a, s.len)) == NULL) {
		*out = XSTR_NULL;
		return -1;
	}
	if (s.len > 0)
		memcpy(p, s.p, s.len);
	out->p = p;
	out->len = s.len;
	return 0;
}

/* Frees every chunk but the oldest one, which is kept for reuse. */
void
arena_reset(struct arena *a)
{
	struct arena_chunk	*c, *next;

	if (a->head == NULL)
		return;
	for (c = a->head; c->next != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = c;
	a->used = 0;
	a->total = 0;
}

/* Releases all memory. */
void
arena_free(struct arena *a)
{
	arena_reset(a);
	free(a->head);
	a->head = NULL;
	a->used = 0;
	a->total = 0;
}

/* Starts a buffer of about hint bytes. */
void
strbuf_begin(struct strbuf *b, struct arena *a, size_t hint)
{
	b->a = a;
	b->len = 0;
	b->failed = 0;
	b->cap = hint < 16 ? 16 : hint;
	if ((b->p = arena_alloc(a, b->cap)) == NULL) {
		b->cap = 0;
		b->failed = 1;
	}
}

/* Appends n bytes, growing into a fresh arena block when needed. */
void
strbuf_add(struct strbuf *b, const char *p, size_t n)
{
	char	*np;
	size_t	 ncap;

	if (b->failed || n == 0)
		return;
	if (b->cap - b->len < n) {
		ncap = b->cap;
		while (ncap - b->len < n) {
			if (ncap > SIZE_MAX / 2) {
				b->failed = 1;
				return;
			}
			ncap *= 2;
		}
		if ((np = arena_alloc(b->a, ncap)) == NULL) {
			b->failed = 1;
			return;
		}
		memcpy(np, b->p, b->len);
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* Appends a counted string. */
void
strbuf_adds(struct strbuf *b, struct xstr s)
{
	strbuf_add(b, s.p, s.len);
}

/* Appends a NUL-terminated string. */
void
strbuf_addc(struct strbuf *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}

/* Returns the finished string, or -1 when an append failed. */
int
strbuf_end(struct strbuf *b, struct xstr *out)
{
	if (b->failed) {
		*out = XSTR_NULL;
		return -1;
	}
	out->p = b->p;
	out->len = b->len;
	return 0;
}
