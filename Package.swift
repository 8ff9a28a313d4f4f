// swift-tools-version:6.0
// Lightbox: an open-source PACS. The package is a DAG of small targets (see README "Layout"):
// C libraries only at the leaves, each wrapped by exactly one Swift target; nothing low imports anything high.
import PackageDescription

let package = Package(
    name: "Lightbox",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lightbox", targets: ["lightbox"]),
        .library(name: "DICOMCore", targets: ["DICOMCore"]),
        .library(name: "DICOM", targets: ["DICOM"]),
    ],
    targets: [
        // Leaves: system libraries from Debian.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "COpenJPEG", pkgConfig: "libopenjp2", providers: [.apt(["libopenjp2-7-dev"])]),
        .systemLibrary(name: "CCharLS", pkgConfig: "charls", providers: [.apt(["libcharls-dev"])]),
        .systemLibrary(name: "CSPNG", pkgConfig: "spng", providers: [.apt(["libspng-dev"])]),
        // No pkgConfig: Debian ships no civetweb.pc; the header and library are in the standard paths.
        .systemLibrary(name: "CCivetWeb", providers: [.apt(["libcivetweb-dev"])]),
        // No pkgConfig: libjxl's .pc adds -DHWY_SHARED_DEFINE, a flag SwiftPM refuses; the headers are in /usr/include.
        .systemLibrary(name: "CJXL", providers: [.apt(["libjxl-dev"])]),

        // Swift wrappers of the leaves.
        .target(name: "Zlib", dependencies: ["CZlib"]),
        // libjpeg reports errors by longjmp, which must not cross Swift frames: a small C glue holds every setjmp.
        .target(name: "CJPEGGlue", dependencies: ["CLibJPEG"], linkerSettings: [.linkedLibrary("jpeg")]),
        .target(name: "JPEGTurbo", dependencies: ["CJPEGGlue"]),
        .target(name: "OpenJPEG", dependencies: ["COpenJPEG"]),
        .target(name: "CharLS", dependencies: ["CCharLS"]),
        .target(name: "PNG", dependencies: ["CSPNG"]),
        .target(name: "JPEGXL", dependencies: ["CJXL"]),
        // HTTP: CivetWeb behind a small router (method and path pattern to handler); no HTTP parsing of our own.
        .target(name: "HTTP", dependencies: ["CCivetWeb", "Transport", "Crypto", "Zlib"]),

        // Linux calls Swift cannot make (behind _GNU_SOURCE, or variadic), in C.
        .target(name: "CLinux"),
        // Sockets, connections, threads and file syncing: no DICOM in them.
        .target(name: "Transport", dependencies: ["CLinux"]),
        // OpenSSL: TLS connections (PS3.15 B.12 profile for DICOM) and digests (SHA-256 of stored files).
        .target(name: "Crypto", dependencies: ["COpenSSL", "Transport"]),
        // SQLite: the embedded index.
        .target(name: "SQLite", dependencies: ["CSQLite"]),

        // DICOM core (PS3.5, PS3.6, PS3.10): no dependencies at all.
        .target(name: "DICOMCore"),
        // DICOM files with every transfer syntax wired in (deflate through zlib).
        .target(name: "DICOM", dependencies: ["DICOMCore", "Zlib"]),

        // Query matching (PS3.4 C.2.2.2) over data sets, and an index of instances in memory.
        .target(name: "DICOMQuery", dependencies: ["DICOMCore"]),

        // The archive: stored files (StorageArea) and the index of what they hold (ArchiveIndex, SQLite), ingest,
        // import, verify and reindex. Knows nothing of the network.
        .target(name: "Archive", dependencies: ["DICOM", "DICOMQuery", "SQLite", "Crypto", "Transport"],
                resources: [.embedInCode("SQL/migration-001.sql"), .embedInCode("SQL/migration-002.sql")]),

        // Users, roles and tokens of the web server (users.sqlite beside the index: reindex must not lose them).
        .target(name: "Accounts", dependencies: ["SQLite", "Crypto", "COpenSSL"], resources: [.embedInCode("SQL/users-001.sql")]),

        // DICOM networking (PS3.7, PS3.8): Upper Layer, DIMSE, associations as SCU and SCP.
        .target(name: "DICOMNetwork", dependencies: ["DICOM", "Transport"]),

        // DICOMweb (PS3.18): QIDO-RS, WADO-RS, STOW-RS, WADO-URI, rendered images, over the archive; routes with the
        // permission each needs, mounted by the server.
        .target(name: "DICOMWeb", dependencies: ["HTTP", "Archive", "DICOM", "DICOMQuery", "ImageCodecs", "Imaging", "Accounts", "Transport"]),

        // The administration API (/api): listing, deletion, remote nodes and their test, sending as jobs, statistics.
        .target(name: "AdminAPI", dependencies: ["HTTP", "Archive", "DICOM", "DICOMQuery", "DICOMNetwork", "DICOMWeb", "Accounts", "Crypto",
                                                 "SQLite", "Transport"],
                resources: [.embedInCode("SQL/nodes-001.sql")]),

        // `lightbox serve`: settings, the JSON log, the archive as DICOM services, demo studies on first start.
        .target(name: "Server", dependencies: ["Archive", "DICOMNetwork", "DICOMQuery", "Crypto", "DemoData", "ImageCodecs", "HTTP", "Accounts", "DICOMWeb",
                                               "AdminAPI"]),

        // Pixel data codecs (PS3.5 Annex A.4, G): decoding and encoding frames; pure Swift where no library covers it.
        // libjpeg-turbo (8-bit DCT), OpenJPEG (JPEG 2000, HTJ2K), CharLS (JPEG-LS) and libjxl (JPEG XL) where they
        // cover a case.
        .target(name: "ImageCodecs", dependencies: ["DICOMCore", "Zlib", "JPEGTurbo", "OpenJPEG", "CharLS", "JPEGXL"]),

        // Rendering (PS3.4 Annex N): Modality LUT, VOI LUT, presentation, colour models, overlays; PNG and JPEG out.
        .target(name: "Imaging", dependencies: ["DICOMCore", "ImageCodecs", "JPEGTurbo", "PNG"]),

        // Demo studies generated from a head phantom, for `make run` and the benchmarks.
        .target(name: "DemoData", dependencies: ["DICOM"]),

        // The one executable.
        .executableTarget(name: "lightbox", dependencies: ["DICOM", "DICOMNetwork", "DICOMQuery", "Crypto", "DemoData", "Archive", "Server",
                                                         "ImageCodecs", "Imaging", "Accounts"]),

        .testTarget(name: "ZlibTests", dependencies: ["Zlib"]),
        .testTarget(name: "DICOMCoreTests", dependencies: ["DICOMCore"]),
        .testTarget(name: "DICOMTests", dependencies: ["DICOM"]),
        .testTarget(name: "DICOMQueryTests", dependencies: ["DICOMQuery"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"]),
        .testTarget(name: "DICOMNetworkTests", dependencies: ["DICOMNetwork", "DICOMQuery"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "DICOM", "DICOMQuery", "Crypto", "SQLite", "Transport"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "Archive", "DICOMNetwork", "DICOM", "DICOMQuery", "Transport"]),
        .testTarget(name: "LightboxCLITests", dependencies: ["DICOM"]),
        .testTarget(name: "ImageCodecsTests", dependencies: ["ImageCodecs", "DICOM", "JPEGTurbo", "OpenJPEG", "CharLS", "PNG", "JPEGXL"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "DICOMWebTests", dependencies: ["DICOMWeb", "HTTP", "Archive", "DICOM", "DICOMQuery"]),
        .testTarget(name: "AccountsTests", dependencies: ["Accounts", "Crypto"]),
        .testTarget(name: "AdminAPITests", dependencies: ["AdminAPI", "Accounts", "Archive", "HTTP", "DICOM", "DICOMNetwork", "DICOMQuery", "Transport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "ImageCodecs", "DICOM", "PNG"]),
    ]
)
