/*
 * table.h - arrays that grow and shrink with the load (the connection
 * hash, the timer heap, the descriptor tables).
 */
#ifndef US_TABLE_H
#define US_TABLE_H

#include <stddef.h>

/*
 * Resizes the table p of old bytes to new bytes (p NULL, old 0: a new
 * one), zero-filling what it gains; returns it, or NULL with p untouched
 * when memory is short.  new 0 frees it (returns NULL).
 */
void *us_table_resize(void *p, size_t old, size_t new);

#endif /* US_TABLE_H */
