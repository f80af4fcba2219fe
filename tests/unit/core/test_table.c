/*
 * Tables that grow and shrink with the load (lib/core/table.c): contents
 * kept and growth zeroed across every step, below and above the size from
 * which a table is mapped rather than malloc'd, and in both directions.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/core/table.h"

/* Entries 0..n-1 hold their index + 1; entries n..cap-1 are zero. */
static void
check(const uint64_t *t, size_t n, size_t cap)
{
	for (size_t i = 0; i < cap; i++)
		cr_assert_eq(t[i], i < n ? i + 1 : 0, "entry %zu of %zu (%zu in use): %llu", i, cap,
			     n, (unsigned long long)t[i]);
}

Test(table, grows_and_shrinks_across_the_mapping_size_keeping_its_contents)
{
	/* 1 KiB up to 4 MiB (mapped from 128 KiB) and back down. */
	size_t cap = 128, n;
	uint64_t *t = us_table_resize(NULL, 0, cap * sizeof(*t));

	cr_assert_not_null(t);
	check(t, 0, cap);
	for (; cap < (1u << 19); cap *= 2) {
		n = cap;
		for (size_t i = 0; i < n; i++)
			t[i] = i + 1;
		t = us_table_resize(t, cap * sizeof(*t), 2 * cap * sizeof(*t));
		cr_assert_not_null(t, "growing to %zu entries", 2 * cap);
		check(t, n, 2 * cap);
	}
	/* Shrinking keeps the entries still in use (a quarter: the TCP tables' rule). */
	for (; cap > 128; cap /= 2) {
		n = cap / 4;
		for (size_t i = n; i < cap; i++)
			t[i] = 0;
		t = us_table_resize(t, cap * sizeof(*t), cap / 2 * sizeof(*t));
		cr_assert_not_null(t, "shrinking to %zu entries", cap / 2);
		check(t, n, cap / 2);
	}
	cr_assert_null(us_table_resize(t, cap * sizeof(*t), 0));
}

Test(table, a_null_table_is_new_and_freeing_null_is_harmless)
{
	uint64_t *t = us_table_resize(NULL, 0, 1u << 20);

	cr_assert_not_null(t);
	check(t, 0, (1u << 20) / sizeof(*t));
	cr_assert_null(us_table_resize(t, 1u << 20, 0));
	cr_assert_null(us_table_resize(NULL, 0, 0));
}
