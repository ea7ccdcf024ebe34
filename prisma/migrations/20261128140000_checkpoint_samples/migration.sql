-- AlterTable: a GAN checkpoint's grid of samples from its fixed noise, as a PNG
-- (null for train jobs, and for GANs whose samples are not images).
ALTER TABLE "checkpoint" ADD COLUMN "sample_png" BYTEA;
