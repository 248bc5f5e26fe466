"""The index: which documents are live (registry), their passages' vectors and BM25 indexes, snapshots."""
