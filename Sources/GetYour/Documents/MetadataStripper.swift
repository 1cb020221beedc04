import Foundation

/// Removes metadata from uploaded photos before they are stored (P6, P10, issue 14): a phone
/// photo of an ID can carry where and when it was taken (EXIF GPS), the camera's serial
/// number and editing history (XMP), none of which staff need.
///
/// - JPEG: drops every APP1 (EXIF and XMP), APP3–APP13 and APP15 segment and comments; keeps
///   JFIF (APP0), the colour profile (APP2 `ICC_PROFILE`) and Adobe's colour transform (APP14),
///   then the image data untouched. The EXIF orientation, if it is not the default, is written
///   back as a minimal EXIF block holding only that tag, so photos stay the right way up.
/// - PNG: drops `eXIf`, `tEXt`, `zTXt`, `iTXt` and `tIME` chunks and anything after `IEND`.
/// - WebP: drops the `EXIF` and `XMP ` chunks and clears their flags in `VP8X`.
/// - HEIC/HEIF and PDF are stored as uploaded: removing HEIC's EXIF item would mean rewriting
///   the file's item index (not done), and PDFs carry document properties, not locations
///   from a camera. This is in `ref/documents.md`.
///
/// Nothing is re-encoded: the pixels are the bytes the resident sent. Files are read and
/// written in chunks, never whole.
enum MetadataStripper {
    enum Failure: Error, Equatable {
        /// The structure is not what the format requires; the upload is refused as damaged.
        case malformed
    }

    /// Types this strips; others are stored as uploaded.
    static let handled: Set<String> = ["image/jpeg", "image/png", "image/webp"]

    /// Writes `source` without its metadata to `destination` (a new file).
    static func strip(type: String, source: URL, destination: URL) throws {
        guard FileManager.default.createFile(atPath: destination.path, contents: nil) else { throw Failure.malformed }
        let input = try ChunkReader(url: source)
        let output = try FileHandle(forWritingTo: destination)
        defer { try? output.close() }
        switch type {
        case "image/jpeg": try jpeg(input, output)
        case "image/png": try png(input, output)
        case "image/webp": try webp(source: source, input, output)
        default: try input.copyRest(to: output)
        }
    }

    // MARK: JPEG

    static func jpeg(_ input: ChunkReader, _ output: FileHandle) throws {
        guard try input.read(2) == [0xFF, 0xD8] else { throw Failure.malformed }
        output.write(Data([0xFF, 0xD8]))
        while true {
            guard let first = try input.read(1)?.first, first == 0xFF else { throw Failure.malformed }
            var marker: UInt8 = 0xFF
            while marker == 0xFF {  // fill bytes
                guard let next = try input.read(1)?.first else { throw Failure.malformed }
                marker = next
            }
            if marker == 0xD9 {  // end of image
                output.write(Data([0xFF, 0xD9]))
                return
            }
            if (0xD0...0xD7).contains(marker) || marker == 0x01 {
                output.write(Data([0xFF, marker]))
                continue
            }
            guard let lengthBytes = try input.read(2) else { throw Failure.malformed }
            let length = Int(lengthBytes[0]) << 8 | Int(lengthBytes[1])
            guard length >= 2, let payload = try input.read(length - 2) else { throw Failure.malformed }
            if marker == 0xDA {  // start of scan: the image data follows, copied as it is
                output.write(Data([0xFF, marker] + lengthBytes + payload))
                try input.copyRest(to: output)
                return
            }
            if marker == 0xE1, payload.starts(with: Array("Exif\0\0".utf8)) {
                if let orientation = orientation(inTIFF: Array(payload.dropFirst(6))), orientation != 1 {
                    output.write(Data(minimalEXIF(orientation: orientation)))
                }
                continue
            }
            let keep: Bool
            switch marker {
            case 0xE0, 0xEE: keep = true  // JFIF, Adobe
            case 0xE2: keep = payload.starts(with: Array("ICC_PROFILE\0".utf8))
            case 0xE1, 0xE3...0xED, 0xEF, 0xFE: keep = false  // EXIF/XMP, other APPn, comments
            default: keep = true  // tables, frame headers
            }
            if keep { output.write(Data([0xFF, marker] + lengthBytes + payload)) }
        }
    }

    /// The Orientation tag (0x0112) of IFD0 in a TIFF structure, if present and sane.
    static func orientation(inTIFF tiff: [UInt8]) -> UInt16? {
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> UInt16? {
            guard at + 2 <= tiff.count else { return nil }
            return little ? UInt16(tiff[at]) | UInt16(tiff[at + 1]) << 8 : UInt16(tiff[at]) << 8 | UInt16(tiff[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard at + 4 <= tiff.count else { return nil }
            let bytes = tiff[at..<at + 4].map(Int.init)
            return little
                ? bytes[0] | bytes[1] << 8 | bytes[2] << 16 | bytes[3] << 24 : bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for index in 0..<Int(count) {
            let entry = ifd + 2 + index * 12
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112, u16(entry + 2) == 3, let value = u16(entry + 8), (1...8).contains(value) { return value }
        }
        return nil
    }

    /// An APP1 segment whose EXIF holds the orientation and nothing else.
    static func minimalEXIF(orientation: UInt16) -> [UInt8] {
        let tiff: [UInt8] =
            [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08]  // big-endian, IFD0 at 8
            + [0x00, 0x01]  // one entry
            + [0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, UInt8(orientation >> 8), UInt8(orientation & 0xFF), 0x00, 0x00]
            + [0x00, 0x00, 0x00, 0x00]  // no next IFD
        let payload = Array("Exif\0\0".utf8) + tiff
        let length = payload.count + 2
        return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
    }

    // MARK: PNG

    static let pngDropped: Set<String> = ["eXIf", "tEXt", "zTXt", "iTXt", "tIME"]

    static func png(_ input: ChunkReader, _ output: FileHandle) throws {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard try input.read(8) == signature else { throw Failure.malformed }
        output.write(Data(signature))
        while true {
            guard let header = try input.read(8) else { throw Failure.malformed }
            let length = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: header[4..<8], as: UTF8.self)
            if pngDropped.contains(type) {
                try input.skip(length + 4)
            } else {
                output.write(Data(header))
                try input.copy(length + 4, to: output)
            }
            if type == "IEND" { return }  // anything after it is dropped
        }
    }

    // MARK: WebP

    static func webp(source: URL, _ input: ChunkReader, _ output: FileHandle) throws {
        guard let header = try input.read(12), header[0..<4] == Array("RIFF".utf8)[...], header[8..<12] == Array("WEBP".utf8)[...]
        else { throw Failure.malformed }
        // First pass: the chunks' sizes, for the new RIFF size.
        let scan = try ChunkReader(url: source)
        _ = try scan.read(12)
        var keptBytes = 4  // "WEBP"
        while let chunk = try scan.read(8) {
            let size = chunk[4..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
            let padded = size + size % 2
            if !["EXIF", "XMP "].contains(String(decoding: chunk[0..<4], as: UTF8.self)) { keptBytes += 8 + padded }
            try scan.skip(padded)
        }
        output.write(Data(Array("RIFF".utf8) + (0..<4).map { UInt8(truncatingIfNeeded: keptBytes >> (8 * $0)) } + Array("WEBP".utf8)))
        while let chunk = try input.read(8) {
            let fourCC = String(decoding: chunk[0..<4], as: UTF8.self)
            let size = chunk[4..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
            let padded = size + size % 2
            if ["EXIF", "XMP "].contains(fourCC) {
                try input.skip(padded)
            } else if fourCC == "VP8X" {
                guard var data = try input.read(padded), !data.isEmpty else { throw Failure.malformed }
                data[0] &= ~UInt8(0x08 | 0x04)  // EXIF and XMP flags
                output.write(Data(chunk + data))
            } else {
                output.write(Data(chunk))
                try input.copy(padded, to: output)
            }
        }
    }
}

/// Buffered sequential reads from a file.
final class ChunkReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    static let chunk = 64 * 1024

    init(url: URL) throws {
        handle = try FileHandle(forReadingFrom: url)
    }

    deinit { try? handle.close() }

    private func fill(_ wanted: Int) throws {
        while buffer.count - position < wanted {
            guard let more = try handle.read(upToCount: max(Self.chunk, wanted)), !more.isEmpty else { return }
            buffer = Array(buffer[position...]) + more
            position = 0
        }
    }

    /// Exactly `count` bytes, or nil at the end of the file.
    func read(_ count: Int) throws -> [UInt8]? {
        try fill(count)
        guard buffer.count - position >= count else { return nil }
        defer { position += count }
        return Array(buffer[position..<position + count])
    }

    func skip(_ count: Int) throws {
        try copy(count, to: nil)
    }

    /// Copies `count` bytes to `output` (or drops them) in chunks.
    func copy(_ count: Int, to output: FileHandle?) throws {
        var remaining = count
        while remaining > 0 {
            try fill(1)
            let available = min(remaining, buffer.count - position)
            guard available > 0 else { throw MetadataStripper.Failure.malformed }
            output?.write(Data(buffer[position..<position + available]))
            position += available
            remaining -= available
        }
    }

    func copyRest(to output: FileHandle) throws {
        if position < buffer.count { output.write(Data(buffer[position...])) }
        position = buffer.count
        while let more = try handle.read(upToCount: Self.chunk), !more.isEmpty { output.write(more) }
    }
}
