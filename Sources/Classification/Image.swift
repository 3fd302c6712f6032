import CImageCodecs
import Foundation
import TensorCore

/// An 8-bit RGB image, row-major, 3 bytes per pixel.
public struct RGBImage: Sendable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]

    /// Errors decoding an image file.
    public struct DecodeError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Images larger than this many pixels are rejected before decoding (decompression bombs).
    public static let maxPixels = 1 << 28

    /// Decodes a PNG or JPEG file (by its signature, not its name).
    public init(contentsOf path: String) throws(DecodeError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DecodeError(path: path, reason: "cannot read the file")
        }
        try self.init(data: Array(data), name: path)
    }

    /// Decodes PNG or JPEG bytes; `name` labels errors.
    public init(data: [UInt8], name: String = "<image>") throws(DecodeError) {
        let isPNG = data.starts(with: [0x89, 0x50, 0x4E, 0x47])
        let isJPEG = data.starts(with: [0xFF, 0xD8, 0xFF])
        guard isPNG || isJPEG else { throw DecodeError(path: name, reason: "not a PNG or JPEG image") }
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = data.withUnsafeBufferPointer { bytes in
            message.withUnsafeMutableBufferPointer { error in
                isPNG
                    ? infer_decode_png(
                        bytes.baseAddress, bytes.count, RGBImage.maxPixels, &pixels, &width, &height, error.baseAddress,
                        error.count)
                    : infer_decode_jpeg(
                        bytes.baseAddress, bytes.count, RGBImage.maxPixels, &pixels, &width, &height, error.baseAddress,
                        error.count)
            }
        }
        guard status == 0, let pixels else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DecodeError(path: name, reason: "cannot decode the \(isPNG ? "PNG" : "JPEG"): \(reason)")
        }
        defer { infer_free_pixels(pixels) }
        self.width = Int(width)
        self.height = Int(height)
        self.pixels = Array(UnsafeBufferPointer(start: pixels, count: Int(width) * Int(height) * 3))
    }

    /// An image from `width` × `height` RGB pixels, row-major, three bytes each; the pixel count
    /// must match the size.
    public init(width: Int, height: Int, rgb pixels: [UInt8]) throws(DecodeError) {
        let (area, overflow) = width.multipliedReportingOverflow(by: height)
        guard width > 0, height > 0, !overflow, area <= RGBImage.maxPixels, pixels.count == area * 3 else {
            throw DecodeError(path: "<pixels>", reason: "\(pixels.count) bytes are not \(width) x \(height) RGB pixels")
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Resized with bilinear interpolation (half-pixel centres) to `newWidth` x `newHeight`.
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        guard newWidth > 0, newHeight > 0, width > 0, height > 0 else {
            return RGBImage(width: max(newWidth, 0), height: max(newHeight, 0), pixels: [])
        }
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        let sx = Double(width) / Double(newWidth), sy = Double(height) / Double(newHeight)
        for y in 0..<newHeight {
            let fy = max(0, (Double(y) + 0.5) * sy - 0.5)
            let y0 = min(Int(fy), height - 1), y1 = min(y0 + 1, height - 1), wy = fy - Double(y0)
            for x in 0..<newWidth {
                let fx = max(0, (Double(x) + 0.5) * sx - 0.5)
                let x0 = min(Int(fx), width - 1), x1 = min(x0 + 1, width - 1), wx = fx - Double(x0)
                for c in 0..<3 {
                    let top =
                        Double(pixels[(y0 * width + x0) * 3 + c]) * (1 - wx) + Double(pixels[(y0 * width + x1) * 3 + c])
                        * wx
                    let bottom =
                        Double(pixels[(y1 * width + x0) * 3 + c]) * (1 - wx) + Double(pixels[(y1 * width + x1) * 3 + c])
                        * wx
                    out[(y * newWidth + x) * 3 + c] = UInt8(min(255, max(0, (top * (1 - wy) + bottom * wy).rounded())))
                }
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: out)
    }

    /// The centred `cropWidth` x `cropHeight` region (clamped to the image).
    public func centerCropped(width cropWidth: Int, height cropHeight: Int) -> RGBImage {
        let w = min(cropWidth, width), h = min(cropHeight, height)
        let left = (width - w) / 2, top = (height - h) / 2
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let source = ((top + y) * width + left) * 3
            out.replaceSubrange((y * w * 3)..<((y + 1) * w * 3), with: pixels[source..<(source + w * 3)])
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
