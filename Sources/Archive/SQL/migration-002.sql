-- Lightbox index, version 2: each instance's metadata as DICOM JSON, prepared at ingest (deflated, with a marker
-- where the service's base URL goes in its BulkDataURIs), so that WADO-RS /metadata concatenates instead of
-- encoding. NULL for instances indexed before this version: those are encoded from their header when asked for,
-- and prepared by `lightbox reindex`.
ALTER TABLE instance ADD COLUMN metadata BLOB;
