-- Data set chunks are stored out of line without compression (EXTERNAL, not the default
-- EXTENDED): Postgres's pglz compressed Fashion-MNIST's pixels only 1.57x at 3.3x the write
-- cost (embedded database: 135 against 41 ms per MiB), most of an upload's time. Rows
-- written before this migration keep their compressed form; both read the same.
ALTER TABLE "dataset_chunk" ALTER COLUMN "data" SET STORAGE EXTERNAL;
