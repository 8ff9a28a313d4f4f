-- Remote nodes an administrator configured through the API: DICOM peers (C-STORE, C-MOVE destinations, C-ECHO)
-- and DICOMweb servers (STOW-RS). Kept apart from the index (index.sqlite), which `lightbox reindex` rebuilds
-- from the stored files: this configuration cannot be rebuilt from anything.
CREATE TABLE node (
    name TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('dicom', 'dicomweb')),
    description TEXT NOT NULL DEFAULT '',
    -- kind 'dicom'
    ae_title TEXT, host TEXT, port INTEGER, tls INTEGER NOT NULL DEFAULT 0,
    -- kind 'dicomweb': the base URL, and HTTP Basic credentials or a bearer token for it
    url TEXT, user_name TEXT, password TEXT, token TEXT,
    created INTEGER NOT NULL,           -- seconds since 1970
    updated INTEGER NOT NULL
);
CREATE INDEX node_ae_title ON node (ae_title);
