/**
 * An entry's flags as the replica's table stores them, in the low bits of each slot's flags word
 * (the bits above count the slot's writes: replica-table.ts). One definition for the table, the
 * records it is filled from and the views on it.
 */
export const ROW_FLAGS = { SHARED: 1, GROUPS_STALE: 2, INFERRED: 4, CONTESTED: 8 } as const;

/** The bits of the flags word that are flags. */
export const FLAG_BITS = 15;
