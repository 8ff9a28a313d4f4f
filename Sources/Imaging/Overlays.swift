import ImageCodecs
import DICOMCore

extension Renderer {
    /// The 60xx overlay planes (PS3.3 C.9.2) burnt into the image as white: each plane's bits, placed at its
    /// origin (1-based row and column), for the frames it covers.
    static func burnOverlays(_ image: inout RenderedImage, dataSet: DataSet, frame: Int) {
        for group in stride(from: UInt32(0x6000), through: 0x601E, by: 2) {
            let tag = { (element: UInt32) in Tag(group << 16 | element) }
            guard let data = dataSet[tag(0x3000)]?.bytes, let rows = dataSet.integers(tag(0x0010))?.first,
                  let columns = dataSet.integers(tag(0x0011))?.first, rows > 0, columns > 0 else { continue }
            let origin = dataSet.integers(tag(0x0050)) ?? [1, 1]
            let frames = max(1, Int(dataSet.string(tag(0x0015))?.trimmingCharacters(in: .init(charactersIn: " ")) ?? "") ?? 1)
            let firstFrame = max(1, dataSet.integers(tag(0x0051))?.first ?? 1) - 1
            let overlayFrame = frame - firstFrame
            guard overlayFrame >= 0, overlayFrame < frames else { continue }
            let top = (origin.first ?? 1) - 1, left = (origin.count > 1 ? origin[1] : 1) - 1
            let base = overlayFrame * rows * columns
            data.withUnsafeBytes { bits in
                for r in 0..<rows {
                    let y = top + r
                    guard y >= 0, y < image.height else { continue }
                    for c in 0..<columns {
                        let x = left + c
                        guard x >= 0, x < image.width else { continue }
                        let bit = base + r * columns + c
                        guard bit >> 3 < bits.count, (bits[bit >> 3] >> (bit & 7)) & 1 == 1 else { continue }
                        let at = (y * image.width + x) * image.channels
                        for k in 0..<image.channels { image.pixels[at + k] = 255 }
                    }
                }
            }
        }
    }

    /// Bilinear resampling to fit inside `box`, keeping the aspect ratio (never enlarging past the box).
    /// The region (x, y, width, height) of an image; a negative width or height takes the columns or rows
    /// running back from x or y, mirrored. The region is clipped to the image; an empty one is an error.
    static func cropped(_ image: RenderedImage, to region: (x: Int, y: Int, width: Int, height: Int)) throws(CodecError) -> RenderedImage {
        let flipX = region.width < 0, flipY = region.height < 0
        // Columns [x0, x1) and rows [y0, y1) of the source.
        var x0 = flipX ? region.x + region.width + 1 : region.x, x1 = flipX ? region.x + 1 : region.x + region.width
        var y0 = flipY ? region.y + region.height + 1 : region.y, y1 = flipY ? region.y + 1 : region.y + region.height
        x0 = max(0, x0); y0 = max(0, y0); x1 = min(image.width, x1); y1 = min(image.height, y1)
        guard x1 > x0, y1 > y0 else {
            throw CodecError("the viewport region \(region.x),\(region.y),\(region.width),\(region.height) lies outside the "
                             + "\(image.width)x\(image.height) image")
        }
        let w = x1 - x0, h = y1 - y0, ch = image.channels * (image.bitDepth == 16 ? 2 : 1)
        if w == image.width && h == image.height && !flipX && !flipY { return image }
        var out = [UInt8](repeating: 0, count: w * h * ch)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<h {
                    let sy = flipY ? y1 - 1 - row : y0 + row
                    for col in 0..<w {
                        let sx = flipX ? x1 - 1 - col : x0 + col
                        let from = (sy * image.width + sx) * ch, to = (row * w + col) * ch
                        for k in 0..<ch { dst[to + k] = src[from + k] }
                    }
                }
            }
        }
        return RenderedImage(width: w, height: h, channels: image.channels, bitDepth: image.bitDepth, pixels: out)
    }

    static func resized(_ image: RenderedImage, toFit box: (width: Int, height: Int)) -> RenderedImage {
        guard box.width > 0, box.height > 0, image.bitDepth == 8 else { return image }
        let scale = min(Double(box.width) / Double(image.width), Double(box.height) / Double(image.height))
        let w = max(1, Int((Double(image.width) * scale).rounded())), h = max(1, Int((Double(image.height) * scale).rounded()))
        if w == image.width && h == image.height { return image }
        let ch = image.channels
        var out = [UInt8](repeating: 0, count: w * h * ch)
        let sx = Double(image.width) / Double(w), sy = Double(image.height) / Double(h)
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<h {
                let fy = max(0, (Double(y) + 0.5) * sy - 0.5)
                let y0 = min(Int(fy), image.height - 1), y1 = min(y0 + 1, image.height - 1)
                let wy = fy - Double(y0)
                for x in 0..<w {
                    let fx = max(0, (Double(x) + 0.5) * sx - 0.5)
                    let x0 = min(Int(fx), image.width - 1), x1 = min(x0 + 1, image.width - 1)
                    let wx = fx - Double(x0)
                    for c in 0..<ch {
                        let a = Double(src[(y0 * image.width + x0) * ch + c]), b = Double(src[(y0 * image.width + x1) * ch + c])
                        let p = Double(src[(y1 * image.width + x0) * ch + c]), q = Double(src[(y1 * image.width + x1) * ch + c])
                        let v = (a * (1 - wx) + b * wx) * (1 - wy) + (p * (1 - wx) + q * wx) * wy
                        out[(y * w + x) * ch + c] = UInt8(max(0, min(255, v.rounded())))
                    }
                }
            }
        }
        return RenderedImage(width: w, height: h, channels: ch, bitDepth: 8, pixels: out)
    }
}
