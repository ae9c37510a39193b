//! `mptcp-dissect` firmware image for an STM32F407 (thumbv7em-none-eabihf)
//! with a WIZnet W5500 on SPI1 (PA5 SCK, PA6 MISO, PA7 MOSI, PA4 CS):
//! every Ethernet frame the W5500 sees (MACRAW, MAC filter off) goes through
//! the dissector, whose tables are `static` (64 subflows, 32 connections),
//! and each verdict is logged with defmt over RTT.
//!
//! The frame loop itself is the library (`mptcp_dissect_firmware::poll`),
//! tested on the host against a mocked SPI device.
#![no_std]
#![no_main]
// cortex-m-rt's `#[entry]` expands to an `unsafe` trampoline, so this crate
// cannot `forbid` unsafe code; it has none of its own.
#![deny(unsafe_code)]

use defmt_rtt as _;
use panic_probe as _;

use cortex_m::peripheral::DWT;
use cortex_m_rt::entry;
use embedded_hal_bus::spi::ExclusiveDevice;
use mptcp_dissect::dissector::{DissectorConfig, DissectorState, DissectorView};
use mptcp_dissect::flow::{
    Connection, EvictPolicy, FlowKey, FlowTableView, PerClass, Slot, SlotId, Subflow, TableState,
};
use mptcp_dissect_firmware::{init, poll, Recv, MAX_FRAME};
use rand_core::RngCore;
use static_cell::ConstStaticCell;
use stm32f4xx_hal::{
    pac,
    prelude::*,
    rcc::Config,
    rng::RngExt,
    spi::{Mode, Phase, Polarity, Spi},
};
use w5500_ll::eh1::vdm::W5500;

/// Subflow table capacity (power of two).
const S: usize = 64;
/// Connection (and token) table capacity.
const C: usize = 32;
const SYSCLK_MHZ: u64 = 168;
const SECOND: u64 = 1_000_000_000;

const CONFIG: DissectorConfig = DissectorConfig {
    timeouts: PerClass {
        closed: 10 * SECOND,
        embryonic: 30 * SECOND,
        established: 2 * 3600 * SECOND,
    },
    subflow_policy: EvictPolicy::ANY,
    conn_policy: EvictPolicy::ANY,
    expire_work: 2,
    // The NIC verifies TCP checksums; DSS validation needs the analysis
    // side arrays, which this image does not give the dissector.
    verify_tcp_checksum: false,
    dss_all_events: false,
    // Tables this small are in cache: no eviction prefetch (and no
    // burst calls here).
    evict_hints_from: usize::MAX,
    burst_pipeline_from: usize::MAX,
};

// The dissector's memory, statically allocated (caller-provided memory, as
// for the C ABI); each cell is taken once, at boot.
static STATE: ConstStaticCell<DissectorState> = ConstStaticCell::new(DissectorState::new(CONFIG));
static SUB_ST: ConstStaticCell<TableState> = ConstStaticCell::new(TableState::new());
static SUB_SLOTS: ConstStaticCell<[Slot<FlowKey, Subflow>; S]> =
    ConstStaticCell::new([const { Slot::new() }; S]);
static SUB_INDEX: ConstStaticCell<[u32; 2 * S]> = ConstStaticCell::new([0; 2 * S]);
static CONN_ST: ConstStaticCell<TableState> = ConstStaticCell::new(TableState::new());
static CONN_SLOTS: ConstStaticCell<[Slot<u32, Connection>; C]> =
    ConstStaticCell::new([const { Slot::new() }; C]);
static CONN_INDEX: ConstStaticCell<[u32; 2 * C]> = ConstStaticCell::new([0; 2 * C]);
static TOK_ST: ConstStaticCell<TableState> = ConstStaticCell::new(TableState::new());
static TOK_SLOTS: ConstStaticCell<[Slot<u32, SlotId>; C]> =
    ConstStaticCell::new([const { Slot::new() }; C]);
static TOK_INDEX: ConstStaticCell<[u32; 2 * C]> = ConstStaticCell::new([0; 2 * C]);
static FRAME: ConstStaticCell<[u8; MAX_FRAME]> = ConstStaticCell::new([0; MAX_FRAME]);

/// A 64-bit nanosecond clock from the 32-bit cycle counter (polled far more
/// often than its 25 s wrap).
struct Clock {
    last: u32,
    cycles: u64,
}

impl Clock {
    fn now(&mut self) -> u64 {
        let c = DWT::cycle_count();
        self.cycles += u64::from(c.wrapping_sub(self.last));
        self.last = c;
        mptcp_dissect_firmware::cycles_to_ns(self.cycles, SYSCLK_MHZ)
    }
}

#[entry]
fn main() -> ! {
    let dp = pac::Peripherals::take().expect("device peripherals");
    let mut cp = cortex_m::Peripherals::take().expect("core peripherals");
    cp.DCB.enable_trace();
    cp.DWT.enable_cycle_counter();

    let mut rcc = dp.RCC.freeze(
        Config::hse(8.MHz())
            .sysclk((SYSCLK_MHZ as u32).MHz())
            .require_pll48clk(),
    );
    // Table hash seeds from the hardware RNG: remote peers cannot aim
    // collisions at the tables.
    let mut rng = dp.RNG.constrain(&mut rcc);
    let mut seeds = [[0u8; 16]; 3];
    for s in &mut seeds {
        rng.fill_bytes(s);
    }

    let gpioa = dp.GPIOA.split(&mut rcc);
    let spi = Spi::new(
        dp.SPI1,
        (Some(gpioa.pa5), Some(gpioa.pa6), Some(gpioa.pa7)),
        Mode {
            polarity: Polarity::IdleLow,
            phase: Phase::CaptureOnFirstTransition,
        },
        21.MHz(),
        &mut rcc,
    );
    let cs = gpioa.pa4.into_push_pull_output();
    let dev = ExclusiveDevice::new_no_delay(spi, cs).expect("chip select");
    let mut w5500 = W5500::new(dev);
    if let Err(e) = init(&mut w5500) {
        defmt::panic!("W5500 init: {}", e.erased());
    }
    defmt::info!(
        "W5500 in MACRAW; dissector {} subflows / {} connections",
        S,
        C
    );

    let [s0, s1, s2] = seeds;
    let sub = FlowTableView::new(SUB_ST.take(), SUB_SLOTS.take(), SUB_INDEX.take(), s0);
    let conn = FlowTableView::new(CONN_ST.take(), CONN_SLOTS.take(), CONN_INDEX.take(), s1);
    let tok = FlowTableView::new(TOK_ST.take(), TOK_SLOTS.take(), TOK_INDEX.take(), s2);
    let (Ok(sub), Ok(conn), Ok(tok)) = (sub, conn, tok) else {
        defmt::panic!("table layout");
    };
    let mut dissector = DissectorView::new(STATE.take(), sub, conn, tok);
    let buf = FRAME.take();
    let mut clock = Clock {
        last: DWT::cycle_count(),
        cycles: 0,
    };
    loop {
        let now = clock.now();
        match poll(&mut w5500, &mut dissector, buf, now, |v, _d, events| {
            defmt::info!("{}", v);
            for e in events.iter() {
                defmt::info!("  {}", e);
            }
        }) {
            Ok(Recv::Dropped(len)) => defmt::warn!("frame of {} B dropped (too long)", len),
            Ok(_) => {}
            // An SPI error mid-frame or a bad length header leaves the RX
            // ring out of step with the chip: reopen the socket (its RX
            // pointers start afresh; the frames in the ring are lost).
            Err(e) => {
                defmt::error!("frame loop: {}; reopening the socket", e.erased());
                if let Err(e) = init(&mut w5500) {
                    defmt::error!("W5500 init: {}", e.erased());
                }
            }
        }
    }
}
