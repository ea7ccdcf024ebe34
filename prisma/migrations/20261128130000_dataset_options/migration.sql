-- AlterTable: the options a data set's files are read with (csv labelColumn, numClasses, ...).
ALTER TABLE "dataset" ADD COLUMN "options" JSONB NOT NULL DEFAULT '{}';
