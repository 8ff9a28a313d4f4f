// libFuzzer entry point over the DICOM reader (built by tools/fuzz.sh together with the DICOMCore sources).
//
// Every input must end in a value or a typed error: no crash, no hang, no allocation beyond the input's size
// (libFuzzer's -malloc_limit_mb catches that). Whatever parses must also write, re-parse to the same data set,
// and survive the JSON model both ways.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Bytes(copying: UnsafeRawBufferPointer(start: data, count: size))
    for tolerant in [false, true] {
        guard let file = try? DICOMFile(bytes: bytes, options: ReadOptions(allowTruncation: tolerant)) else { continue }
        let json = DICOMJSON.encode(file.dataSet)
        _ = try? DICOMJSON.decode(json)
        for syntax in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian] {
            guard !file.transferSyntax.isEncapsulated,
                  let written = try? file.encoded(transferSyntax: syntax, groupLengths: .recalculate) else { continue }
            // What we wrote we must read back, and writing that again must change nothing: the first write
            // normalises (padding, lengths), the second is a fixed point.
            guard let again = try? DICOMFile(bytes: Bytes(written)) else {
                fatalError("cannot re-read a file written in \(syntax.name)")
            }
            guard let rewritten = try? again.encoded(transferSyntax: syntax, groupLengths: .recalculate) else {
                fatalError("cannot rewrite a file read back in \(syntax.name)")
            }
            if rewritten != written { fatalError("writing in \(syntax.name) is not a fixed point") }
        }
        for e in file.dataSet.elements {
            _ = e.strings(characterSet: file.dataSet.characterSet)
            _ = e.decimals
        }
    }
    _ = try? DICOMFile.parseDataSet(bytes, transferSyntax: .implicitVRLittleEndian)
    _ = try? JSONParser.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
