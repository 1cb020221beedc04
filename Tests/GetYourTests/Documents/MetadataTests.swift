import Crypto
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// Photos lose where they were taken before they are stored (P6, P10, issue 14).
@Suite("Photo metadata removed from uploads")
struct MetadataTests {
    /// An APP1 EXIF block: orientation 6 (rotated) and a GPS IFD with a latitude.
    static func exifWithGPS() -> [UInt8] {
        var tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08]
        tiff += [0x00, 0x02]
        tiff += [0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00]  // Orientation = 6
        tiff += [0x88, 0x25, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x26]  // GPSInfo IFD at 38
        tiff += [0x00, 0x00, 0x00, 0x00]
        tiff += [0x00, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x4E, 0x00, 0x00, 0x00]  // GPSLatitudeRef "N"
        tiff += [0x00, 0x00, 0x00, 0x00]
        let payload = Array("Exif\0\0".utf8) + tiff
        return [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
    }

    static func xmp(_ text: String) -> [UInt8] {
        let payload = Array("http://ns.adobe.com/xap/1.0/\0".utf8) + Array(text.utf8)
        return [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
    }

    static func photoWithLocation() throws -> Data {
        let plain = Array(try Fixture.bytes("id-card.jpg"))
        let comment = Array("Taken at 40.5853N 105.0844W".utf8)
        let com: [UInt8] = [0xFF, 0xFE, UInt8((comment.count + 2) >> 8), UInt8((comment.count + 2) & 0xFF)] + comment
        return Data(
            [0xFF, 0xD8] + exifWithGPS() + xmp("<exif:GPSLatitude>40,35.1N</exif:GPSLatitude>") + com + Array(plain.dropFirst(2)))
    }

    func strip(_ data: Data, type: String) throws -> Data {
        let folder = FileManager.default.temporaryDirectory
        let source = folder.appendingPathComponent("strip-\(UUID()).in"), out = folder.appendingPathComponent("strip-\(UUID()).out")
        defer {
            try? FileManager.default.removeItem(at: source)
            try? FileManager.default.removeItem(at: out)
        }
        try data.write(to: source)
        try MetadataStripper.strip(type: type, source: source, destination: out)
        return try Data(contentsOf: out)
    }

    @Test func aJPEGLosesEXIFGPSXMPAndCommentsButKeepsItsOrientationAndPixels() throws {
        let original = try Self.photoWithLocation()
        let stripped = try strip(original, type: "image/jpeg")
        let bytes = Array(stripped)
        #expect(bytes.starts(with: [0xFF, 0xD8]) && Array(bytes.suffix(2)) == [0xFF, 0xD9])
        #expect(stripped.range(of: Data([0x88, 0x25])) == nil, "the GPSInfo tag is still there")
        #expect(stripped.range(of: Data("GPSLatitude".utf8)) == nil)
        #expect(stripped.range(of: Data("105.0844W".utf8)) == nil)
        #expect(stripped.count < original.count)
        // The orientation survives, alone, so the photo stays upright.
        let exif = try #require(stripped.range(of: Data("Exif\0\0".utf8)))
        #expect(MetadataStripper.orientation(inTIFF: Array(stripped[exif.upperBound...].prefix(64))) == 6)
        // The image data itself is untouched, and the result is still a JPEG for libmagic.
        let plain = try Fixture.bytes("id-card.jpg")
        let scan = try #require(plain.range(of: Data([0xFF, 0xDA])))
        #expect(stripped.range(of: plain[scan.lowerBound...]) != nil)
        #expect(try MagicSniffer().mimeType(of: bytes.prefix(4096)) == "image/jpeg")
        // A file without metadata comes out the same, minus nothing it needs.
        #expect(try strip(plain, type: "image/jpeg").count <= plain.count)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let length = UInt32(data.count), crc = crc32(body)
        let lengthBytes: [UInt8] = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: length >> UInt32($0)) }
        let crcBytes: [UInt8] = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> UInt32($0)) }
        return lengthBytes + body + crcBytes
    }

    @Test func aPNGLosesItsTextAndEXIFChunks() throws {
        let plain = Array(try Fixture.bytes("benefit-letter.png"))
        // After the signature and IHDR (8 + 25 bytes).
        var tagged: [UInt8] = Array(plain.prefix(33))
        tagged += Self.pngChunk("tEXt", Array("Location\u{0}40.5853N 105.0844W".utf8))
        let exifData: [UInt8] = Array("MM".utf8) + [0, 42, 0, 0, 0, 8]
        tagged += Self.pngChunk("eXIf", exifData)
        tagged += Array(plain.dropFirst(33))
        tagged += Array("trailing".utf8)
        let stripped = try strip(Data(tagged), type: "image/png")
        #expect(stripped.range(of: Data("105.0844W".utf8)) == nil)
        #expect(stripped.range(of: Data("eXIf".utf8)) == nil)
        #expect(stripped.range(of: Data("trailing".utf8)) == nil)
        #expect(stripped == Data(plain), "the image chunks are kept byte for byte")
    }

    @Test func aWebPLosesItsEXIFChunk() throws {
        let plain = Array(try Fixture.bytes("snap-card.webp"))
        let exif = Array("EXIF".utf8) + [6, 0, 0, 0] + Array("GPS-N1".utf8)
        var tagged = plain + exif
        let size = tagged.count - 8
        tagged.replaceSubrange(4..<8, with: (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) })
        let stripped = try strip(Data(tagged), type: "image/webp")
        #expect(stripped.range(of: Data("GPS-N1".utf8)) == nil)
        #expect(stripped == Data(plain))
    }

    @Test func aBrokenJPEGIsRefusedAsDamaged() {
        #expect(throws: MetadataStripper.Failure.self) { _ = try strip(Data([0xFF, 0xD8, 0x00, 0x11, 0xFF, 0xD9]), type: "image/jpeg") }
    }

    /// End to end: the stored file has no location, and the stored checksum and size are
    /// those of the stored bytes.
    @Test func anUploadedPhotoIsStoredWithoutItsLocation() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            let item = try #require(try await browser.checklistItems().first { $0.hasPrefix("member") })
            try await browser.get("/apply/documents")
            let uploaded = try await browser.upload(item: item, files: [("IMG_2041.jpg", try Self.photoWithLocation())])
            #expect(uploaded.status == .seeOther)
            let document = try #require(try await Document.query(on: app.db(.primary)).filter(\.$originalName == "IMG_2041.jpg").first())
            let root = app.settings.paths.documentsDirectory
            let stored = try Data(
                contentsOf: root.appendingPathComponent(String(document.storageKey.prefix(2))).appendingPathComponent(document.storageKey))
            #expect(stored.range(of: Data([0x88, 0x25])) == nil)
            #expect(stored.range(of: Data("GPSLatitude".utf8)) == nil && stored.range(of: Data("105.0844W".utf8)) == nil)
            #expect(document.sha256 == SHA256.hash(data: stored).map { String(format: "%02x", $0) }.joined())
            #expect(document.byteSize == stored.count)
            // What the resident and staff open is the cleaned file.
            let opened = try await browser.get("/documents/\(document.requireID().uuidString)")
            #expect(Data(buffer: opened.body) == stored)
        }
    }
}
