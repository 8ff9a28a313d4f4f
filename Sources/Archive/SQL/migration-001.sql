-- Lightbox index, version 1: patients, studies, series and instances as Query/Retrieve sees them (PS3.4 C.6).
-- Each level keeps the attributes queries match on most as columns (indexed where queries are common), its whole
-- attribute set as an encoded data set (for return keys and exact matching), and the counts PS3.4 C.6.1.1 asks
-- for. Columns are a first filter only: every candidate row is matched again on its attributes, so a column
-- may hold a normalised value (dates as YYYYMMDD) as long as it never drops a true match.

CREATE TABLE patient (
    id INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL,
    -- Issuer of Patient ID: the same ID from two issuers is two patients.
    issuer TEXT NOT NULL DEFAULT '',
    birth_date TEXT, sex TEXT,
    studies INTEGER NOT NULL DEFAULT 0, series INTEGER NOT NULL DEFAULT 0, instances INTEGER NOT NULL DEFAULT 0,
    attributes BLOB NOT NULL,
    UNIQUE (patient_id, issuer)
);

-- A patient's name as values to match against: each component group (PS3.5 §6.2.1) and the whole value, as
-- written and lower-cased (for case-insensitive matching), so that a wildcard with a fixed prefix uses an index.
CREATE TABLE patient_name (
    patient INTEGER NOT NULL REFERENCES patient (id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    lower TEXT NOT NULL
);
CREATE INDEX patient_name_value ON patient_name (value);
CREATE INDEX patient_name_lower ON patient_name (lower);
CREATE INDEX patient_name_patient ON patient_name (patient);

CREATE TABLE study (
    id INTEGER PRIMARY KEY,
    patient INTEGER NOT NULL REFERENCES patient (id),
    study_uid TEXT NOT NULL UNIQUE,
    study_date TEXT, accession TEXT, study_id TEXT,
    -- Modalities and SOP classes in the study, each between backslashes ("\CT\SR\").
    modalities TEXT NOT NULL DEFAULT '\', sop_classes TEXT NOT NULL DEFAULT '\',
    series INTEGER NOT NULL DEFAULT 0, instances INTEGER NOT NULL DEFAULT 0,
    attributes BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX study_patient ON study (patient);
CREATE INDEX study_date ON study (study_date);
CREATE INDEX study_accession ON study (accession);

CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    study INTEGER NOT NULL REFERENCES study (id),
    series_uid TEXT NOT NULL UNIQUE,
    modality TEXT, series_number TEXT,
    instances INTEGER NOT NULL DEFAULT 0,
    attributes BLOB NOT NULL
);
CREATE INDEX series_study ON series (study);

CREATE TABLE instance (
    id INTEGER PRIMARY KEY,
    series INTEGER NOT NULL REFERENCES series (id),
    sop_uid TEXT NOT NULL UNIQUE,
    sop_class TEXT NOT NULL,
    instance_number INTEGER,
    transfer_syntax TEXT NOT NULL,
    -- Where the file is in the storage area, its size and SHA-256.
    storage_key TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    -- The header (the data set without pixel data and large binary values), deflated: metadata prepared at
    -- ingest, so that queries and metadata requests never read the files.
    header BLOB NOT NULL
);
CREATE INDEX instance_series ON instance (series, instance_number);
CREATE INDEX instance_storage_key ON instance (storage_key);
