/// JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1; transfer syntax
/// 1.2.840.10008.1.2.4.70), the lossless syntax most DICOM peers accept. ITU-T T.81 Annex H: each sample is
/// predicted from its left neighbour (the one above in the first column, 2^(P-1) for the first sample), and the
/// difference is Huffman coded with a table built for the image (Annex K.2), one table per component.
public enum JPEGLosslessEncoder {
    /// Samples interleaved by pixel, 1 byte each up to 8 bits of precision, else 2 bytes little endian; values
    /// must fit in `precision` bits (2 to 16).
    public static func encode(_ samples: [UInt8], width: Int, height: Int, components: Int,
                              precision: Int) throws(CodecError) -> [UInt8] {
        guard (2...16).contains(precision), components == 1 || components == 3, (1...65_535).contains(width),
              (1...65_535).contains(height) else {
            throw CodecError("JPEG Lossless: cannot encode \(width)x\(height)x\(components) at \(precision) bits")
        }
        let bytesPerSample = precision > 8 ? 2 : 1
        let n = width * height
        guard samples.count >= n * components * bytesPerSample else {
            throw CodecError("JPEG Lossless: \(samples.count) bytes of samples, \(n * components * bytesPerSample) expected")
        }
        let mask = (1 << precision) - 1
        // Differences per component, modulo 2^16 as H.1.2.1 defines them, and their categories (SSSS).
        var differences = [[Int32]](repeating: [], count: components)
        var histograms = [[Int]](repeating: [Int](repeating: 0, count: 17), count: components)
        samples.withUnsafeBytes { raw in
            func sample(_ i: Int, _ c: Int) -> Int {
                let at = (i * components + c) * bytesPerSample
                return (bytesPerSample == 1 ? Int(raw[at]) : Int(raw[at]) | Int(raw[at + 1]) << 8) & mask
            }
            for c in 0..<components {
                var d = [Int32](repeating: 0, count: n)
                for y in 0..<height {
                    for x in 0..<width {
                        let i = y * width + x
                        let prediction = x > 0 ? sample(i - 1, c) : y > 0 ? sample(i - width, c) : 1 << (precision - 1)
                        // Differences are taken modulo 65536 (H.1.2.1), then read as a signed 16-bit value.
                        var diff = (sample(i, c) - prediction) & 0xFFFF
                        if diff >= 0x8000 { diff -= 0x10000 }
                        d[i] = Int32(diff)
                        histograms[c][category(diff)] += 1
                    }
                }
                differences[c] = d
            }
        }
        var out: [UInt8] = [0xFF, 0xD8]
        // SOF3: precision, lines, samples per line, components (id, sampling 1x1, no quantization table).
        var sof: [UInt8] = [UInt8(precision), UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF),
                            UInt8(components)]
        for c in 0..<components { sof += [UInt8(c + 1), 0x11, 0] }
        segment(0xC3, sof, into: &out)
        var tables: [HuffmanTable] = []
        for c in 0..<components {
            let table = HuffmanTable(frequencies: histograms[c])
            tables.append(table)
            segment(0xC4, [UInt8(c)] + table.counts + table.symbols, into: &out)  // class 0 (DC/lossless), id c
        }
        // SOS: components with their tables, Ss = 1 (predictor 1), Se = 0, Ah = 0, Al = 0 (no point transform).
        var sos: [UInt8] = [UInt8(components)]
        for c in 0..<components { sos += [UInt8(c + 1), UInt8(c << 4)] }
        sos += [1, 0, 0]
        segment(0xDA, sos, into: &out)
        var writer = BitWriter()
        writer.bytes.reserveCapacity(n * components * bytesPerSample / 2)
        for i in 0..<n {
            for c in 0..<components {
                let diff = Int(differences[c][i])
                let s = category(diff)
                let code = tables[c].codes[s]
                writer.write(UInt32(code.code), count: code.length)
                // SSSS = 16 carries no extra bits (H.1.2.2); otherwise the low bits, one's complement when negative.
                if s > 0 && s < 16 {
                    let extra = diff >= 0 ? diff : diff + (1 << s) - 1
                    writer.write(UInt32(extra & ((1 << s) - 1)), count: s)
                }
            }
        }
        writer.flush()
        out += writer.bytes
        out += [0xFF, 0xD9]
        return out
    }

    @inline(__always) static func category(_ diff: Int) -> Int {
        if diff == -32768 { return 16 }
        var m = abs(diff), s = 0
        while m > 0 { s += 1; m >>= 1 }
        return s
    }

    static func segment(_ marker: UInt8, _ body: [UInt8], into out: inout [UInt8]) {
        let length = body.count + 2
        out += [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)]
        out += body
    }

    /// Entropy-coded bits, most significant first, with a zero byte stuffed after every 0xFF (F.1.2.3) and the
    /// last byte padded with ones.
    struct BitWriter {
        var bytes: [UInt8] = []
        var buffer: UInt64 = 0
        var count = 0

        @inline(__always) mutating func write(_ bits: UInt32, count n: Int) {
            guard n > 0 else { return }
            buffer = buffer << UInt64(n) | UInt64(bits & UInt32((1 << UInt64(n)) - 1))
            count += n
            while count >= 8 {
                count -= 8
                let byte = UInt8(truncatingIfNeeded: buffer >> UInt64(count))
                bytes.append(byte)
                if byte == 0xFF { bytes.append(0) }
            }
        }

        mutating func flush() {
            if count > 0 { write((1 << UInt32(8 - count)) - 1, count: 8 - count) }
        }
    }

    /// A Huffman table built from symbol frequencies (T.81 Annex K.2): code lengths limited to 16 bits, codes
    /// assigned canonically (Annex C), and a reserved all-ones code never used.
    struct HuffmanTable {
        var counts: [UInt8]   // BITS: codes of each length 1...16
        var symbols: [UInt8]  // HUFFVAL, by increasing length
        var codes: [(code: Int, length: Int)]

        init(frequencies: [Int]) {
            var freq = frequencies.map { $0 }
            freq.append(1)  // the reserved symbol 256 (K.2): keeps any code from being all ones
            let symbolsCount = freq.count
            var codesize = [Int](repeating: 0, count: symbolsCount)
            var others = [Int](repeating: -1, count: symbolsCount)
            // Figure K.1: repeatedly merge the two least frequent trees.
            while true {
                var v1 = -1, v2 = -1
                for i in 0..<symbolsCount where freq[i] > 0 {
                    if v1 < 0 || freq[i] <= freq[v1] { v1 = i }
                }
                for i in 0..<symbolsCount where freq[i] > 0 && i != v1 {
                    if v2 < 0 || freq[i] <= freq[v2] { v2 = i }
                }
                if v2 < 0 { break }
                freq[v1] += freq[v2]
                freq[v2] = 0
                codesize[v1] += 1
                var k = v1
                while others[k] >= 0 { k = others[k]; codesize[k] += 1 }
                others[k] = v2
                k = v2
                codesize[k] += 1
                while others[k] >= 0 { k = others[k]; codesize[k] += 1 }
            }
            // Figure K.2 and K.3: count codes per length, then limit lengths to 16.
            var bits = [Int](repeating: 0, count: 33)
            for i in 0..<symbolsCount where codesize[i] > 0 { bits[codesize[i]] += 1 }
            var i = 32
            while i > 16 {
                while bits[i] > 0 {
                    var j = i - 2
                    while bits[j] == 0 { j -= 1 }
                    bits[i] -= 2
                    bits[i - 1] += 1
                    bits[j + 1] += 2
                    bits[j] -= 1
                }
                i -= 1
            }
            while bits[i] == 0 { i -= 1 }
            bits[i] -= 1  // remove the reserved symbol's code
            // Figure K.4: symbols by increasing code size.
            var ordered: [UInt8] = []
            for size in 1...32 {
                for s in 0..<(symbolsCount - 1) where codesize[s] == size { ordered.append(UInt8(s)) }
            }
            counts = (1...16).map { UInt8(bits[$0]) }
            symbols = ordered
            // Annex C: canonical codes.
            codes = [(code: Int, length: Int)](repeating: (0, 0), count: 17)
            var code = 0, k = 0
            for length in 1...16 {
                for _ in 0..<bits[length] {
                    codes[Int(ordered[k])] = (code, length)
                    code += 1
                    k += 1
                }
                code <<= 1
            }
        }
    }
}
