#if canImport(Glibc)
import Glibc
#endif

struct FileReadError: Error, CustomStringConvertible {
    var description: String
}

/// Reads a whole (small) text file without Foundation.
func readTextFile(_ path: String) throws -> String {
    guard let file = fopen(path, "rb") else { throw FileReadError(description: String(cString: strerror(errno))) }
    defer { fclose(file) }
    var bytes = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count {
            if ferror(file) != 0 { throw FileReadError(description: String(cString: strerror(errno))) }
            break
        }
        if bytes.count > 16 << 20 { throw FileReadError(description: "file larger than 16 MiB") }
    }
    return String(decoding: bytes, as: UTF8.self)
}
