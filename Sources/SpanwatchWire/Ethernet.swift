// Ethernet II (IEEE 802.3 clause 3.1.1) with IEEE 802.1Q / 802.1ad tags.
//
//  0                   6                  12      14
//  +-------------------+-------------------+-------+-----------
//  | destination MAC   | source MAC        | type  | payload
//  +-------------------+-------------------+-------+-----------
//  A tag (type 0x8100, 0x88A8 or 0x9100) inserts 4 bytes before the real type:
//  | TPID (2) | PCP:3 DEI:1 VID:12 (2) |

public enum Ethernet {
    public static let destinationOffset = 0
    public static let sourceOffset = 6
    public static let etherTypeOffset = 12
    public static let headerLength = 14
    public static let vlanTagLength = 4
    /// Tags followed before giving up (QinQ is two; a third is seen in the wild).
    public static let maximumVLANTags = 4

    /// Decodes the Ethernet header and any VLAN tags; returns the offset of the L3 header,
    /// or nil when decoding stopped (recorded in `frame.stop`).
    /// `start`: where the frame begins (an Ethernet frame inside a tunnel starts past its header).
    public static func decode(_ bytes: RawSpan, at start: Int = 0, into frame: inout DecodedFrame, snapped: Bool) -> Int? {
        guard bytes.byteCount - start >= headerLength else {
            frame.stop = DecodeStop(layer: start == 0 ? .link : .tunnel, reason: snapped ? .snaplen : .truncated,
                                    required: headerLength, available: bytes.byteCount - start)
            return nil
        }
        frame.hasEthernet = true
        frame.destinationMAC = MACAddress(bytes, at: start + destinationOffset)
        frame.sourceMAC = MACAddress(bytes, at: start + sourceOffset)
        return decodeVLANTags(bytes, from: start + headerLength, etherType: bytes.u16be(start + etherTypeOffset), into: &frame, snapped: snapped)
    }

    /// Follows 802.1Q/802.1ad tags from `start` (where a tag's TCI starts when `etherType` is a
    /// TPID); sets `frame.etherType` to the type after the last tag and returns the L3 offset.
    static func decodeVLANTags(_ bytes: RawSpan, from start: Int, etherType: UInt16, into frame: inout DecodedFrame, snapped: Bool) -> Int? {
        var type = etherType
        var offset = start
        while type == EtherType.vlan || type == EtherType.qinq || type == EtherType.qinqLegacy {
            guard Int(frame.vlanCount) < maximumVLANTags else {
                frame.stop = DecodeStop(layer: .vlan, reason: .tooManyVLANTags)
                return nil
            }
            guard bytes.byteCount >= offset + vlanTagLength else {
                frame.stop = DecodeStop(layer: .vlan, reason: snapped ? .snaplen : .truncated,
                                        required: offset + vlanTagLength, available: bytes.byteCount)
                return nil
            }
            let vid = bytes.u16be(offset) & 0x0FFF
            if frame.vlanCount == 0 { frame.outerVLAN = vid } else if frame.vlanCount == 1 { frame.innerVLAN = vid }
            frame.vlanCount += 1
            type = bytes.u16be(offset + 2)
            offset += vlanTagLength
        }
        frame.etherType = type
        return offset
    }
}
