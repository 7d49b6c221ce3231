-- vmtrace.lua: Wireshark dissector for vmtrace's records (link type
-- LINKTYPE_USER0, 147), as `vmtrace export` writes them to pcapng / pcap.
-- The record layout is docs/export.md's; usage in docs/export-wireshark.md:
--
--     tshark -X lua_script:export/wireshark/vmtrace.lua -r trace.pcapng
--
-- Written for Wireshark 4.0 (Debian 12) and its Lua 5.2: 64-bit values are
-- UInt64 / Int64 objects, never Lua numbers.  Every read is bounds-checked
-- by the Reader below, so a short or garbled record is marked malformed
-- (expert info) instead of raising a Lua error.

local created, vmtrace = pcall(Proto, "vmtrace", "vmtrace virtio-mmio trace record")
if not created then
	-- Loaded twice (an installed copy and -X lua_script:): the first copy stays.
	io.stderr:write("vmtrace.lua: protocol vmtrace is already registered by another copy of this script; "
		.. "this one (" .. debug.getinfo(1, "S").short_src .. ") is not used\n")
	return
end

local HEADER_LENGTH = 32
local U32_NONE = 0xffffffff
local U64_NONE = "18446744073709551615" -- compared as text: UInt64 objects are not Lua numbers
local I64_NONE = "-1"

local KIND = { MMIO = 1, INTERRUPT = 2, STATUS = 3, VIOLATION = 4, ANOMALY = 5, REQUEST = 6, MARKER = 7 }
local kind_names = { [1] = "mmio", [2] = "interrupt", [3] = "status", [4] = "violation", [5] = "anomaly",
	[6] = "request", [7] = "marker" }

-- Short names as vmtrace labels devices (virtio/device_types.c).
local devtype_names = { [1] = "net", [2] = "blk", [3] = "console", [4] = "rng", [5] = "balloon", [7] = "rpmsg",
	[8] = "scsi", [9] = "9p", [16] = "gpu", [18] = "input", [19] = "vsock", [20] = "crypto", [23] = "iommu",
	[24] = "mem", [25] = "snd", [26] = "fs", [27] = "pmem", [34] = "i2c", [41] = "gpio" }

local phase_names = { [1] = "notify", [2] = "used", [3] = "interrupt" }
local severity_names = { [1] = "warning", [2] = "error" }
local blk_status_names = { [0] = "OK", [1] = "IOERR", [2] = "UNSUPP" }

-- MMIO register offsets whose values the dissector breaks down.
local REG_DEVICE_FEATURES = 0x010
local REG_DRIVER_FEATURES = 0x020
local REG_INTERRUPT_STATUS = 0x060
local REG_INTERRUPT_ACK = 0x064
local REG_STATUS = 0x070

local status_bits = { { 1, "ACKNOWLEDGE" }, { 2, "DRIVER" }, { 8, "FEATURES_OK" }, { 4, "DRIVER_OK" },
	{ 64, "DEVICE_NEEDS_RESET" }, { 128, "FAILED" } }

-- Feature bits (virtio/names.c, virtio/device_types.c): transport bits by
-- absolute number, device bits (0-23, 41 and up) per device type.
local transport_features = { [24] = "NOTIFY_ON_EMPTY", [27] = "ANY_LAYOUT", [28] = "INDIRECT_DESC",
	[29] = "EVENT_IDX", [32] = "VERSION_1", [33] = "ACCESS_PLATFORM", [34] = "RING_PACKED", [35] = "IN_ORDER",
	[36] = "ORDER_PLATFORM", [37] = "SR_IOV", [38] = "NOTIFICATION_DATA", [39] = "NOTIF_CONFIG_DATA",
	[40] = "RING_RESET" }

local device_features = {
	[1] = { [0] = "NET_F_CSUM", [1] = "NET_F_GUEST_CSUM", [2] = "NET_F_CTRL_GUEST_OFFLOADS", [3] = "NET_F_MTU",
		[5] = "NET_F_MAC", [6] = "NET_F_GSO", [7] = "NET_F_GUEST_TSO4", [8] = "NET_F_GUEST_TSO6",
		[9] = "NET_F_GUEST_ECN", [10] = "NET_F_GUEST_UFO", [11] = "NET_F_HOST_TSO4", [12] = "NET_F_HOST_TSO6",
		[13] = "NET_F_HOST_ECN", [14] = "NET_F_HOST_UFO", [15] = "NET_F_MRG_RXBUF", [16] = "NET_F_STATUS",
		[17] = "NET_F_CTRL_VQ", [18] = "NET_F_CTRL_RX", [19] = "NET_F_CTRL_VLAN", [20] = "NET_F_CTRL_RX_EXTRA",
		[21] = "NET_F_GUEST_ANNOUNCE", [22] = "NET_F_MQ", [23] = "NET_F_CTRL_MAC_ADDR", [41] = "NET_F_DEVICE_STATS",
		[52] = "NET_F_VQ_NOTF_COAL", [53] = "NET_F_NOTF_COAL", [54] = "NET_F_GUEST_USO4", [55] = "NET_F_GUEST_USO6",
		[56] = "NET_F_HOST_USO", [57] = "NET_F_HASH_REPORT", [59] = "NET_F_GUEST_HDRLEN", [60] = "NET_F_RSS",
		[61] = "NET_F_RSC_EXT", [62] = "NET_F_STANDBY", [63] = "NET_F_SPEED_DUPLEX" },
	[2] = { [0] = "BLK_F_BARRIER", [1] = "BLK_F_SIZE_MAX", [2] = "BLK_F_SEG_MAX", [4] = "BLK_F_GEOMETRY",
		[5] = "BLK_F_RO", [6] = "BLK_F_BLK_SIZE", [7] = "BLK_F_SCSI", [9] = "BLK_F_FLUSH", [10] = "BLK_F_TOPOLOGY",
		[11] = "BLK_F_CONFIG_WCE", [12] = "BLK_F_MQ", [13] = "BLK_F_DISCARD", [14] = "BLK_F_WRITE_ZEROES",
		[15] = "BLK_F_LIFETIME", [16] = "BLK_F_SECURE_ERASE" },
	[3] = { [0] = "CONSOLE_F_SIZE", [1] = "CONSOLE_F_MULTIPORT", [2] = "CONSOLE_F_EMERG_WRITE" },
	[5] = { [0] = "BALLOON_F_MUST_TELL_HOST", [1] = "BALLOON_F_STATS_VQ", [2] = "BALLOON_F_DEFLATE_ON_OOM",
		[3] = "BALLOON_F_FREE_PAGE_HINT", [4] = "BALLOON_F_PAGE_POISON", [5] = "BALLOON_F_PAGE_REPORTING" },
	[8] = { [0] = "SCSI_F_INOUT", [1] = "SCSI_F_HOTPLUG", [2] = "SCSI_F_CHANGE", [3] = "SCSI_F_T10_PI" },
	[9] = { [0] = "9P_MOUNT_TAG" },
	[16] = { [0] = "GPU_F_VIRGL", [1] = "GPU_F_EDID", [2] = "GPU_F_RESOURCE_UUID", [3] = "GPU_F_RESOURCE_BLOB",
		[4] = "GPU_F_CONTEXT_INIT" },
	[19] = { [0] = "VSOCK_F_STREAM", [1] = "VSOCK_F_SEQPACKET" },
	[20] = { [0] = "CRYPTO_F_REVISION_1", [1] = "CRYPTO_F_CIPHER_STATELESS_MODE", [2] = "CRYPTO_F_HASH_STATELESS_MODE",
		[3] = "CRYPTO_F_MAC_STATELESS_MODE", [4] = "CRYPTO_F_AEAD_STATELESS_MODE",
		[5] = "CRYPTO_F_AKCIPHER_STATELESS_MODE" },
	[23] = { [0] = "IOMMU_F_INPUT_RANGE", [1] = "IOMMU_F_DOMAIN_RANGE", [2] = "IOMMU_F_MAP_UNMAP",
		[3] = "IOMMU_F_BYPASS", [4] = "IOMMU_F_PROBE", [5] = "IOMMU_F_MMIO", [6] = "IOMMU_F_BYPASS_CONFIG" },
	[24] = { [0] = "MEM_F_ACPI_PXM", [1] = "MEM_F_UNPLUGGED_INACCESSIBLE" },
	[26] = { [0] = "FS_F_NOTIFICATION" },
	[27] = { [0] = "PMEM_F_SHMEM_REGION" },
	[34] = { [0] = "I2C_F_ZERO_LENGTH_REQUEST" },
	[41] = { [0] = "GPIO_F_IRQ" },
}

local function feature_name(devtype, bit)
	local name = transport_features[bit]
	if not name and (bit <= 23 or bit >= 41) and device_features[devtype] then
		name = device_features[devtype][bit]
	end
	return name or ("bit" .. bit)
end

-- --- fields ---

local f = vmtrace.fields
f.version = ProtoField.uint8("vmtrace.version", "Version")
f.kind = ProtoField.uint8("vmtrace.kind", "Kind", base.DEC, kind_names)
f.header_length = ProtoField.uint16("vmtrace.header_length", "Header length")
f.flags = ProtoField.uint32("vmtrace.flags", "Flags", base.HEX)
f.flags_seq_known = ProtoField.bool("vmtrace.flags.seq_known", "Seq known", 32, nil, 0x1)
f.seq = ProtoField.uint64("vmtrace.seq", "Seq", base.DEC, nil, nil, "events.seq of the trace")
f.device = ProtoField.int32("vmtrace.device", "Device", base.DEC, nil, nil, "devices.device of the trace")
f.devtype = ProtoField.uint16("vmtrace.devtype", "Device type", base.DEC, devtype_names, nil, "virtio device id")
f.queue = ProtoField.uint16("vmtrace.queue", "Queue")
f.base = ProtoField.uint64("vmtrace.base", "Base address", base.HEX)

f.dir = ProtoField.string("vmtrace.dir", "Direction", base.ASCII, "R: the driver read, W: it wrote")
f.width = ProtoField.uint8("vmtrace.width", "Width (bytes)")
f.offset = ProtoField.uint16("vmtrace.offset", "Offset", base.HEX)
f.feature_word = ProtoField.uint32("vmtrace.feature_word", "Feature word", base.DEC, nil, nil,
	"the word DeviceFeaturesSel / DriverFeaturesSel selected")
f.value = ProtoField.uint64("vmtrace.value", "Value", base.HEX)
f.reg = ProtoField.string("vmtrace.reg", "Register")
f.meaning = ProtoField.string("vmtrace.meaning", "Meaning", base.ASCII, "what vmtrace show says after the value")
f.feature = ProtoField.string("vmtrace.feature", "Feature")

f.st_acknowledge = ProtoField.bool("vmtrace.status.acknowledge", "ACKNOWLEDGE", 8, nil, 0x01)
f.st_driver = ProtoField.bool("vmtrace.status.driver", "DRIVER", 8, nil, 0x02)
f.st_driver_ok = ProtoField.bool("vmtrace.status.driver_ok", "DRIVER_OK", 8, nil, 0x04)
f.st_features_ok = ProtoField.bool("vmtrace.status.features_ok", "FEATURES_OK", 8, nil, 0x08)
f.st_needs_reset = ProtoField.bool("vmtrace.status.device_needs_reset", "DEVICE_NEEDS_RESET", 8, nil, 0x40)
f.st_failed = ProtoField.bool("vmtrace.status.failed", "FAILED", 8, nil, 0x80)
f.status_old = ProtoField.uint32("vmtrace.status.old", "Old status", base.HEX)
f.status_new = ProtoField.uint32("vmtrace.status.new", "New status", base.HEX)
f.status_kind = ProtoField.string("vmtrace.status.kind", "Change", base.ASCII, "set, reset, needs-reset, failed, refused")
f.status_names = ProtoField.string("vmtrace.status.names", "New status names")

f.irq_value = ProtoField.uint32("vmtrace.interrupt.value", "InterruptStatus", base.HEX)
f.irq_used_buffer = ProtoField.bool("vmtrace.interrupt.used_buffer", "Used buffer notification", 32, nil, 0x1)
f.irq_config_change = ProtoField.bool("vmtrace.interrupt.config_change", "Configuration change", 32, nil, 0x2)

f.vio_severity = ProtoField.uint8("vmtrace.violation.severity", "Severity", base.DEC, severity_names)
f.vio_rule = ProtoField.string("vmtrace.violation.rule", "Rule")
f.vio_section = ProtoField.string("vmtrace.violation.section", "Spec section")
f.vio_message = ProtoField.string("vmtrace.violation.message", "Message")

f.anomaly_name = ProtoField.string("vmtrace.anomaly.name", "Anomaly")
f.anomaly_message = ProtoField.string("vmtrace.anomaly.message", "Message")

f.req_phase = ProtoField.uint8("vmtrace.request.phase", "Phase", base.DEC, phase_names)
f.req_length = ProtoField.uint32("vmtrace.request.length", "Data bytes")
f.req_id = ProtoField.int64("vmtrace.request.id", "Request", base.DEC, nil, nil, "requests.request of the trace")
f.req_sector = ProtoField.int64("vmtrace.request.sector", "Sector")
f.req_status = ProtoField.int32("vmtrace.request.status", "Status", base.DEC, blk_status_names, nil, "blk status byte")
f.req_data_length = ProtoField.uint32("vmtrace.request.data_length", "Data length before the cap")
f.req_seq_notify = ProtoField.uint64("vmtrace.request.seq_notify", "Seq of the notify")
f.req_seq_used = ProtoField.uint64("vmtrace.request.seq_used", "Seq of the used entry")
f.req_seq_irq = ProtoField.uint64("vmtrace.request.seq_irq", "Seq of the interrupt")
f.req_time_to_used = ProtoField.relative_time("vmtrace.request.time_to_used", "Time from notify to used")
f.req_time_to_irq = ProtoField.relative_time("vmtrace.request.time_to_irq", "Time from notify to interrupt")
f.req_kind = ProtoField.string("vmtrace.request.kind", "Request kind", base.ASCII, "blk, net-tx, net-rx, ...")
f.req_op = ProtoField.string("vmtrace.request.op", "Operation")
f.req_data = ProtoField.bytes("vmtrace.request.data", "Data")
f.req_notify_in = ProtoField.framenum("vmtrace.request.notify_in", "Notify in", base.NONE, frametype.REQUEST)
f.req_used_in = ProtoField.framenum("vmtrace.request.used_in", "Used in", base.NONE, frametype.RESPONSE)
f.req_irq_in = ProtoField.framenum("vmtrace.request.irq_in", "Interrupt in", base.NONE, frametype.RESPONSE)

f.marker_text = ProtoField.string("vmtrace.marker.text", "Marker")
f.trailing = ProtoField.bytes("vmtrace.trailing", "Bytes after the known fields")

local e = {
	malformed = ProtoExpert.new("vmtrace.malformed", "Malformed vmtrace record", expert.group.MALFORMED,
		expert.severity.ERROR),
	version = ProtoExpert.new("vmtrace.version.unknown", "Unknown record version", expert.group.UNDECODED,
		expert.severity.WARN),
	unknown_kind = ProtoExpert.new("vmtrace.kind.unknown", "Unknown record kind", expert.group.UNDECODED,
		expert.severity.NOTE),
	violation_error = ProtoExpert.new("vmtrace.violation.error", "Spec violation (error)", expert.group.PROTOCOL,
		expert.severity.ERROR),
	violation_warning = ProtoExpert.new("vmtrace.violation.warning", "Spec violation (warning)",
		expert.group.PROTOCOL, expert.severity.WARN),
	anomaly = ProtoExpert.new("vmtrace.anomaly.expert", "Anomaly", expert.group.SEQUENCE, expert.severity.WARN),
	bad_value = ProtoExpert.new("vmtrace.bad_value", "Value outside the format", expert.group.PROTOCOL,
		expert.severity.WARN),
}
vmtrace.experts = { e.malformed, e.version, e.unknown_kind, e.violation_error, e.violation_warning, e.anomaly,
	e.bad_value }

-- --- a bounds-checked reader over one record ---

-- Each read returns the value and its TvbRange, or nil once the record is
-- too short; the first shortfall is kept to report as malformed.  Only the
-- captured bytes count: a record cut by a snapshot length is short too.
local Reader = {}
Reader.__index = Reader

local function new_reader(tvb, offset)
	return setmetatable({ tvb = tvb, off = offset, len = tvb:len(), short = nil }, Reader)
end

function Reader:remaining()
	return math.max(0, self.len - self.off)
end

function Reader:take(n, what)
	if self.short then
		return nil
	end
	if self.off + n > self.len then
		self.short = string.format("%s needs %d bytes at offset %d, %d left", what, n, self.off, self:remaining())
		return nil
	end
	local range = self.tvb(self.off, n)
	self.off = self.off + n
	return range
end

-- A little-endian number of n bytes, read by conv, and its range.
function Reader:number(n, what, conv)
	local r = self:take(n, what)
	if r then
		return conv(r), r
	end
end

function Reader:uint(n, what)
	return self:number(n, what, function(r) return r:le_uint() end)
end

function Reader:int(n, what)
	return self:number(n, what, function(r) return r:le_int() end)
end

function Reader:uint64(what)
	return self:number(8, what, function(r) return r:le_uint64() end)
end

function Reader:int64(what)
	return self:number(8, what, function(r) return r:le_int64() end)
end

-- A u16 byte count and that many UTF-8 bytes; the range covers both.
function Reader:str(what)
	local start = self.off
	local n = self:uint(2, what .. " length")
	if not n then
		return nil
	end
	if not self:take(n, what) then
		return nil
	end
	local value = n > 0 and self.tvb(start + 2, n):string(ENC_UTF_8) or ""
	return value, self.tvb(start, 2 + n)
end

-- The bytes left in the record, or nil if there are none.
function Reader:rest()
	local n = self:remaining()
	if self.short or n == 0 then
		return nil
	end
	local r = self.tvb(self.off, n)
	self.off = self.len
	return r
end

-- --- helpers for the tree and the Info column ---

local function hex64(v)
	return "0x" .. v:tohex():gsub("^0+(.)", "%1")
end

local function status_string(value)
	if value == 0 then
		return "0"
	end
	local names, rest = {}, value
	for _, b in ipairs(status_bits) do
		if bit32.btest(value, b[1]) then
			names[#names + 1] = b[2]
			rest = bit32.band(rest, bit32.bnot(b[1]))
		end
	end
	if rest ~= 0 then
		names[#names + 1] = string.format("0x%x", rest)
	end
	return table.concat(names, "|")
end

-- Status bits of a value whose low byte is at range(0, 1) (little-endian).
local function add_status_bits(tree, range, value, label)
	local sub = tree:add(range, string.format("%s: 0x%x %s", label, value, status_string(value)))
	local low = range(0, 1)
	for _, field in ipairs({ f.st_acknowledge, f.st_driver, f.st_driver_ok, f.st_features_ok, f.st_needs_reset,
		f.st_failed }) do
		sub:add(field, low)
	end
end

local function add_interrupt_bits(tree, range)
	tree:add_le(f.irq_used_buffer, range)
	tree:add_le(f.irq_config_change, range)
end

-- Feature names of a 32-bit Features value; word n holds bits 32n..32n+31.
local function add_feature_bits(tree, range, value, word, devtype)
	local bits = {}
	for i = 0, 31 do
		if bit32.btest(value, bit32.lshift(1, i)) then
			bits[#bits + 1] = 32 * word + i
		end
	end
	local sub = tree:add(range, string.format("Features (word %d): %d set", word, #bits))
	for _, bit in ipairs(bits) do
		local name = feature_name(devtype, bit)
		sub:add(f.feature, range, name, string.format("Bit %d: %s", bit, name))
	end
end

local function ns_to_nstime(ns)
	return NSTime.new((ns / 1000000000):tonumber(), (ns % 1000000000):tonumber())
end

local function ns_text(ns)
	local us = ns:tonumber() / 1000
	if us >= 1000 then
		return string.format("%.3f ms", us / 1000)
	end
	return string.format("%.3f us", us)
end

-- --- request links, filled on the first pass (as the USB dissector's) ---

-- "device/request" -> { [phase] = frame number }; reset per capture file.
local request_frames = {}

function vmtrace.init()
	request_frames = {}
end

local phase_link_fields = { [1] = f.req_notify_in, [2] = f.req_used_in, [3] = f.req_irq_in }

local function link_request(pinfo, tree, device, request, phase)
	local key = tostring(device) .. "/" .. tostring(request)
	local frames = request_frames[key]
	if not pinfo.visited then
		if not frames then
			frames = {}
			request_frames[key] = frames
		end
		if phase_link_fields[phase] and not frames[phase] then
			frames[phase] = pinfo.number
		end
	end
	if not frames then
		return
	end
	for p = 1, 3 do
		local other = frames[p]
		if other and other ~= pinfo.number then
			tree:add(phase_link_fields[p], other):set_generated()
		end
	end
end

-- --- bodies: each returns the Info column text ---

local function dissect_mmio(r, tree, h)
	local dir, dir_range = r:uint(1, "dir")
	local width, width_range = r:uint(1, "width")
	local offset, offset_range = r:uint(2, "offset")
	local word, word_range = r:uint(4, "feature word")
	local value, value_range = r:uint64("value")
	local reg, reg_range = r:str("reg")
	local meaning, meaning_range = r:str("meaning")
	local dir_text = dir == 0 and "R" or dir == 1 and "W" or dir and ("?" .. dir)
	if dir then
		local item = tree:add(f.dir, dir_range, dir_text)
		if dir > 1 then
			item:add_proto_expert_info(e.bad_value, string.format("dir %d is neither 0 (read) nor 1 (write)", dir))
		end
	end
	if width then
		tree:add(f.width, width_range)
	end
	if offset then
		tree:add_le(f.offset, offset_range)
	end
	if word and word ~= U32_NONE then
		tree:add_le(f.feature_word, word_range)
	end
	if value then
		local item = tree:add_le(f.value, value_range)
		local low32 = value_range(0, 4):le_uint()
		if offset == REG_STATUS then
			add_status_bits(item, value_range, low32, "Status")
		elseif offset == REG_INTERRUPT_STATUS or offset == REG_INTERRUPT_ACK then
			add_interrupt_bits(item, value_range(0, 4))
		elseif (offset == REG_DEVICE_FEATURES or offset == REG_DRIVER_FEATURES) and word then
			if word ~= U32_NONE then
				add_feature_bits(item, value_range(0, 4), low32, word, h.devtype)
			end
		end
	end
	if reg then
		tree:add(f.reg, reg_range, reg)
	end
	if meaning then
		tree:add(f.meaning, meaning_range, meaning)
	end
	if not value then
		return string.format("%s %s", dir_text or "?", reg or string.format("0x%03x", offset or 0))
	end
	if (meaning == nil or meaning == "") and offset == REG_STATUS then
		meaning = status_string(value_range(0, 4):le_uint())
	end
	local text = string.format("%s %s %s", dir_text, reg or string.format("0x%03x", offset), hex64(value))
	if meaning and meaning ~= "" then
		text = text .. " " .. meaning
	end
	return text
end

local function dissect_interrupt(r, tree)
	local value, range = r:uint(4, "value")
	if not value then
		return "interrupt"
	end
	add_interrupt_bits(tree:add_le(f.irq_value, range), range)
	local what = {}
	if bit32.btest(value, 1) then
		what[#what + 1] = "used buffer"
	end
	if bit32.btest(value, 2) then
		what[#what + 1] = "config change"
	end
	return string.format("interrupt 0x%x %s", value, table.concat(what, ", "))
end

local function dissect_status(r, tree)
	local old, old_range = r:uint(4, "old")
	local new, new_range = r:uint(4, "new")
	local kind, kind_range = r:str("kind")
	local names, names_range = r:str("names")
	if old then
		add_status_bits(tree:add_le(f.status_old, old_range), old_range, old, "Old status")
	end
	if new then
		add_status_bits(tree:add_le(f.status_new, new_range), new_range, new, "New status")
	end
	if kind then
		tree:add(f.status_kind, kind_range, kind)
	end
	if names then
		tree:add(f.status_names, names_range, names)
	end
	if not new then
		return "status"
	end
	return string.format("status %s 0x%x -> 0x%x %s", kind or "?", old, new, names or status_string(new))
end

local function dissect_violation(r, tree)
	local severity, severity_range = r:uint(1, "severity")
	local rule, rule_range = r:str("rule")
	local section, section_range = r:str("section")
	local message, message_range = r:str("message")
	if severity then
		local item = tree:add(f.vio_severity, severity_range)
		if not severity_names[severity] then
			item:add_proto_expert_info(e.bad_value, string.format("severity %d is neither 1 nor 2", severity))
		end
	end
	if rule then
		tree:add(f.vio_rule, rule_range, rule)
	end
	if section then
		tree:add(f.vio_section, section_range, section)
	end
	if message then
		tree:add(f.vio_message, message_range, message)
	end
	local text = string.format("%s: %s", rule or "?", message or "?")
	if severity then
		tree:add_proto_expert_info(severity == 2 and e.violation_error or e.violation_warning, "Violation " .. text)
	end
	return "VIOLATION " .. text
end

local function dissect_anomaly(r, tree)
	local name, name_range = r:str("name")
	local message, message_range = r:str("message")
	if name then
		tree:add(f.anomaly_name, name_range, name)
	end
	if message then
		tree:add(f.anomaly_message, message_range, message)
	end
	local text = string.format("%s: %s", name or "?", message or "?")
	if message then
		tree:add_proto_expert_info(e.anomaly, "Anomaly " .. text)
	end
	return "ANOMALY " .. text
end

local function dissect_request(r, tree, h, pinfo)
	local phase, phase_range = r:uint(1, "phase")
	r:take(3, "reserved")
	local length, length_range = r:uint(4, "length")
	local id, id_range = r:int64("request")
	local sector, sector_range = r:int64("sector")
	local status, status_range = r:int(4, "status")
	local data_length, data_length_range = r:uint(4, "data length")
	local seq_notify, seq_notify_range = r:uint64("seq_notify")
	local seq_used, seq_used_range = r:uint64("seq_used")
	local seq_irq, seq_irq_range = r:uint64("seq_irq")
	local ns_used, ns_used_range = r:uint64("ns notify to used")
	local ns_irq, ns_irq_range = r:uint64("ns notify to interrupt")
	local kind, kind_range = r:str("kind")
	local op, op_range = r:str("op")
	if id then
		tree:add_le(f.req_id, id_range)
	end
	if kind then
		tree:add(f.req_kind, kind_range, kind)
	end
	if op then
		tree:add(f.req_op, op_range, op)
	end
	if phase then
		local item = tree:add(f.req_phase, phase_range)
		if not phase_names[phase] then
			item:add_proto_expert_info(e.bad_value, string.format("phase %d is not 1, 2 or 3", phase))
		end
	end
	if length and length ~= U32_NONE then
		tree:add_le(f.req_length, length_range)
	end
	if sector and tostring(sector) ~= I64_NONE then
		tree:add_le(f.req_sector, sector_range)
	end
	if status and status ~= -1 then
		tree:add_le(f.req_status, status_range)
	end
	if data_length then
		tree:add_le(f.req_data_length, data_length_range)
	end
	for _, s in ipairs({ { seq_notify, seq_notify_range, f.req_seq_notify }, { seq_used, seq_used_range, f.req_seq_used },
		{ seq_irq, seq_irq_range, f.req_seq_irq } }) do
		if s[1] and tostring(s[1]) ~= U64_NONE then
			tree:add_le(s[3], s[2])
		end
	end
	if ns_used and tostring(ns_used) ~= U64_NONE then
		tree:add(f.req_time_to_used, ns_used_range, ns_to_nstime(ns_used))
	end
	if ns_irq and tostring(ns_irq) ~= U64_NONE then
		tree:add(f.req_time_to_irq, ns_irq_range, ns_to_nstime(ns_irq))
	end
	if phase == 1 then
		local data = r:rest()
		if data then
			tree:add(f.req_data, data):append_text(string.format(" (%d of %d bytes kept)", data:len(), data_length))
		end
	end
	if id and phase then
		link_request(pinfo, tree, h.device, id, phase)
	end

	local text = string.format("request %s %s", id and tostring(id) or "?", kind or "?")
	if op and op ~= "" then
		text = text .. " " .. op
	end
	text = text .. " " .. (phase_names[phase] or ("phase " .. tostring(phase)))
	if phase == 1 then
		if sector and tostring(sector) ~= I64_NONE then
			text = text .. " sector " .. tostring(sector)
		end
		if length and length ~= U32_NONE then
			text = text .. " len " .. length
		end
	elseif phase == 2 and status and status ~= -1 then
		text = text .. " status " .. (blk_status_names[status] or tostring(status))
	end
	if phase == 2 and ns_used and tostring(ns_used) ~= U64_NONE then
		text = text .. " after " .. ns_text(ns_used)
	elseif phase == 3 and ns_irq and tostring(ns_irq) ~= U64_NONE then
		text = text .. " after " .. ns_text(ns_irq)
	end
	return text
end

local function dissect_marker(r, tree)
	local text, range = r:str("text")
	if text then
		tree:add(f.marker_text, range, text)
	end
	return "marker " .. (text or "?")
end

local bodies = {
	[KIND.MMIO] = dissect_mmio,
	[KIND.INTERRUPT] = dissect_interrupt,
	[KIND.STATUS] = dissect_status,
	[KIND.VIOLATION] = dissect_violation,
	[KIND.ANOMALY] = dissect_anomaly,
	[KIND.REQUEST] = dissect_request,
	[KIND.MARKER] = dissect_marker,
}

-- --- the record ---

local function malformed(pinfo, tree, text)
	tree:add_proto_expert_info(e.malformed, text)
	pinfo.cols.info:append(" [malformed: " .. text .. "]")
end

local function device_label(h)
	local label = devtype_names[h.devtype] or (h.devtype ~= 0 and ("dev" .. h.devtype)) or "device"
	if h.base and tostring(h.base) ~= "0" then
		return label .. "@" .. hex64(h.base)
	end
	if h.device and h.device ~= -1 then
		return label .. " " .. h.device
	end
	return nil
end

-- The Source and Destination columns: who the record's data goes from and
-- to.  A register write, a notify: the driver to the device; a read, a
-- used entry, an interrupt: the device to the driver; the rest (status
-- changes, violations, markers) only name the device.
local function set_ends(tvb, pinfo, kind, header_length, label)
	if not label then
		return
	end
	local name = label:find("^dev") and label or ("virtio-" .. label)
	local to_device
	if (kind == 1 or kind == 6) and tvb:len() > header_length then
		local b = tvb(header_length, 1):uint()
		to_device = b == 1
	elseif kind == 2 then
		to_device = false
	end
	if to_device == nil then
		pinfo.cols.src = name
	elseif to_device then
		pinfo.cols.src = "driver"
		pinfo.cols.dst = name
	else
		pinfo.cols.src = name
		pinfo.cols.dst = "driver"
	end
end

function vmtrace.dissector(tvb, pinfo, tree)
	pinfo.cols.protocol = "vmtrace"
	local len = tvb:len()
	local root = tree:add(vmtrace, tvb())
	if len < HEADER_LENGTH then
		pinfo.cols.info = "vmtrace record"
		malformed(pinfo, root, string.format("record of %d bytes, the header needs %d", len, HEADER_LENGTH))
		return len
	end

	local r = new_reader(tvb, 0)
	local h = {}
	local version, version_range = r:uint(1, "version")
	local kind, kind_range = r:uint(1, "kind")
	local header_length, header_length_range = r:uint(2, "header length")
	local flags, flags_range = r:uint(4, "flags")
	local seq, seq_range = r:uint64("seq")
	h.device, h.device_range = r:int(4, "device")
	h.devtype, h.devtype_range = r:uint(2, "virtio device id")
	h.queue, h.queue_range = r:uint(2, "queue")
	h.base, h.base_range = r:uint64("base address")

	root:add(f.version, version_range)
	if version ~= 1 then
		root:add_proto_expert_info(e.version, string.format("Version %d: decoded as version 1", version))
	end
	root:add(f.kind, kind_range)
	root:add_le(f.header_length, header_length_range)
	root:add_le(f.flags, flags_range):add_le(f.flags_seq_known, flags_range)
	local seq_known = bit32.btest(flags, 1)
	if seq_known then
		root:add_le(f.seq, seq_range)
	end
	if h.device ~= -1 then
		root:add_le(f.device, h.device_range)
	end
	if h.devtype ~= 0 then
		root:add_le(f.devtype, h.devtype_range)
	end
	if h.queue ~= 0xffff then
		root:add_le(f.queue, h.queue_range)
	end
	if tostring(h.base) ~= "0" then
		root:add_le(f.base, h.base_range)
	end

	local kind_name = kind_names[kind] or ("kind " .. kind)
	local label = device_label(h)
	root:append_text(string.format(", %s%s%s", kind_name, label and (", " .. label) or "",
		seq_known and (", seq " .. tostring(seq)) or ""))
	pinfo.cols.info = kind_name

	if header_length < HEADER_LENGTH or header_length > len then
		malformed(pinfo, root, string.format("header length %d outside %d..%d", header_length, HEADER_LENGTH, len))
		return len
	end
	-- A later version's longer header: skip to its end, as the format says.
	local body = new_reader(tvb, header_length)
	local dissect_body = bodies[kind]
	if not dissect_body then
		root:add_proto_expert_info(e.unknown_kind, string.format("Kind %d is not known to this dissector", kind))
		local rest = body:rest()
		if rest then
			root:add(f.trailing, rest)
		end
		return len
	end
	local info = dissect_body(body, root, h, pinfo)
	pinfo.cols.info = info
	set_ends(tvb, pinfo, kind, header_length, label)
	if body.short then
		malformed(pinfo, root, string.format("%s record truncated: %s", kind_name, body.short))
		return len
	end
	local rest = body:rest()
	if rest then
		root:add(f.trailing, rest)
	end
	return len
end

DissectorTable.get("wtap_encap"):add(wtap_encaps.USER0, vmtrace)
