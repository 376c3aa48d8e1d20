/*
 * arena.h: a bump allocator for per-request strings.  Nothing is freed
 * one by one; arena_reset() makes the memory reusable for the next
 * request without returning it to the system, so a steady stream of
 * requests allocates nothing.
 */
#ifndef XFF_ARENA_H
#define XFF_ARENA_H

#include <stddef.h>
#include "xstr.h"

struct arena_chunk;

struct arena {
	struct arena_chunk	*head;	/* chunk being filled; older ones follow */
	size_t			 used;	/* bytes used in head */
	size_t			 total;	/* bytes handed out since the last reset */
	size_t			 limit;	/* 0, or the most arena_alloc may hand out */
};

/* Prepares an empty arena; limit 0 means no limit. */
void	 arena_init(struct arena *a, size_t limit);

/* Returns n bytes aligned for any object, or NULL when out of memory or over the limit. */
void	*arena_alloc(struct arena *a, size_t n);

/* Copies the bytes of s into the arena; returns the copy or XSTR_NULL with .p NULL on failure. */
int	 arena_dup(struct arena *a, struct xstr s, struct xstr *out);

/* Forgets every allocation but keeps the first chunk for reuse. */
void	 arena_reset(struct arena *a);

/* Releases all memory. */
void	 arena_free(struct arena *a);

/*
 * A growing byte buffer inside an arena: strbuf_begin() starts one,
 * strbuf_add*() append, strbuf_end() returns the finished string.
 * Any failure is sticky and reported by strbuf_end().
 */
struct strbuf {
	struct arena	*a;
	char		*p;
	size_t		 len, cap;
	int		 failed;
};

void	strbuf_begin(struct strbuf *b, struct arena *a, size_t hint);
void	strbuf_add(struct strbuf *b, const char *p, size_t n);
void	strbuf_adds(struct strbuf *b, struct xstr s);
void	strbuf_addc(struct strbuf *b, const char *s);
/* Returns 0 and the string, or -1 when an append failed. */
int	strbuf_end(struct strbuf *b, struct xstr *out);

#endif
