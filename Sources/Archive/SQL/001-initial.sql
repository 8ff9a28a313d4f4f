-- Lightbox index, version 1: patients, studies, series and instances as Query/Retrieve sees them (PS3.4 C.6).
-- Each level keeps the attributes queries match on as columns (indexed where queries are common), its whole
-- attribute set as an encoded data set (for return keys), and the counts PS3.4 C.6.1.1 computes.

CREATE TABLE patient (
    id INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL,
    -- Issuer of Patient ID: the same ID from two issuers is two patients.
    issuer TEXT NOT NULL DEFAULT '',
    -- Person name component groups (PS3.5 §6.2.1), as written and lower-cased for case-insensitive matching.
    name_alphabetic TEXT, name_ideographic TEXT, name_phonetic TEXT, name_lower TEXT,
    birth_date TEXT, sex TEXT,
    studies INTEGER NOT NULL DEFAULT 0, series INTEGER NOT NULL DEFAULT 0, instances INTEGER NOT NULL DEFAULT 0,
    attributes BLOB,
    UNIQUE (patient_id, issuer)
);
CREATE INDEX patient_name ON patient (name_alphabetic);
CREATE INDEX patient_name_lower ON patient (name_lower);

CREATE TABLE study (
    id INTEGER PRIMARY KEY,
    patient INTEGER NOT NULL REFERENCES patient (id),
    study_uid TEXT NOT NULL UNIQUE,
    study_date TEXT, study_time TEXT, accession TEXT, study_id TEXT, referring_physician TEXT, description TEXT,
    -- Modalities and SOP classes in the study, backslash-separated with a leading and trailing backslash.
    modalities TEXT NOT NULL DEFAULT '\', sop_classes TEXT NOT NULL DEFAULT '\',
    series INTEGER NOT NULL DEFAULT 0, instances INTEGER NOT NULL DEFAULT 0,
    attributes BLOB,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE INDEX study_patient ON study (patient);
CREATE INDEX study_date ON study (study_date);
CREATE INDEX study_accession ON study (accession);

CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    study INTEGER NOT NULL REFERENCES study (id),
    series_uid TEXT NOT NULL UNIQUE,
    modality TEXT, series_number TEXT, description TEXT, body_part TEXT, series_date TEXT,
    instances INTEGER NOT NULL DEFAULT 0,
    attributes BLOB
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
    header BLOB
);
CREATE INDEX instance_series ON instance (series);
