//! VS-GAE Studio: the desktop entry point and the web entry point.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::path::PathBuf;

    use anyhow::Context as _;
    use clap::Parser;
    use vsgae_studio::compute::ComputeOptions;
    use vsgae_studio::{AppOptions, StudioApp, Tab};

    /// VS-GAE Studio: predict NAS-Bench-101 accuracies, train the models, walk the latent space.
    #[derive(Debug, Parser)]
    #[command(version)]
    struct Cli {
        /// Load this data file at start (zip, .pth, tfrecord or CSV).
        #[arg(long)]
        open: Option<PathBuf>,
        /// The panel to show first: data, train, cell, latent, predict or search.
        #[arg(long)]
        tab: Option<Tab>,
        /// Run the models on Burn's CPU backend instead of the GPU.
        #[arg(long)]
        cpu: bool,
        /// Start stored settings afresh.
        #[arg(long)]
        fresh: bool,
        #[cfg(feature = "probe")]
        #[command(flatten)]
        probe: Probe,
    }

    /// Scripted runs, for measuring the app in a window without a person at it.
    #[cfg(feature = "probe")]
    #[derive(Debug, clap::Args)]
    struct Probe {
        /// Start training the predictor (the train panel's form) once the data is loaded.
        #[arg(long)]
        train: bool,
        /// Rank the whole search space at start.
        #[arg(long)]
        rank: bool,
        /// Write the app's status (JSON: backend, timings, frame times) to this file while running.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Close after this many seconds.
        #[arg(long)]
        quit_after: Option<f64>,
    }

    pub fn main() -> anyhow::Result<()> {
        let cli = Cli::parse();
        let open = match &cli.open {
            Some(path) => {
                let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
                Some((path.display().to_string(), bytes))
            }
            None => None,
        };
        let prefer_gpu = !cli.cpu && std::env::var("VSGAE_BACKEND").map_or(true, |v| v != "cpu");
        let options = AppOptions { compute: ComputeOptions { prefer_gpu }, fresh: cli.fresh, open, tab: cli.tab };
        #[cfg(feature = "probe")]
        let automation = vsgae_studio::probe::Automation {
            train: cli.probe.train,
            rank: cli.probe.rank,
            report: cli.probe.report,
            quit_after: cli.probe.quit_after,
        };
        let native = eframe::NativeOptions {
            viewport: egui::ViewportBuilder::default().with_title("VS-GAE Studio").with_inner_size([1280.0, 820.0]),
            ..Default::default()
        };
        let start = Box::new(|cc: &eframe::CreationContext<'_>| {
            let app = StudioApp::with_options(cc, options);
            #[cfg(feature = "probe")]
            let app = app.with_observer(Box::new(vsgae_studio::probe::Probe::new(Some(automation))));
            Ok(Box::new(app) as Box<dyn eframe::App>)
        });
        eframe::run_native("VS-GAE Studio", native, start).map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// See `vsgae::host_allocator`: freed tensors' memory is reused, not returned to the kernel.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: vsgae::host_allocator::HostAllocator = vsgae::host_allocator::HostAllocator;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> anyhow::Result<()> {
    vsgae::subnormals::flush_unless_kept();
    vsgae::host_allocator::keep_freed_memory();
    native::main()
}

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
unsafe extern "C" {
    /// The static constructors (cubecl registers its IR dialects through `inventory`),
    /// synthesised by wasm-ld.
    fn __wasm_call_ctors();
}

#[cfg(target_arch = "wasm32")]
fn main() {
    use eframe::wasm_bindgen::JsCast as _;

    // wasm-ld links a binary as a "command": unless the program calls `__wasm_call_ctors`
    // itself, it wraps every export in a call to it, so every call from JavaScript (each frame,
    // each event, each callback) ran all the static constructors again, about 150 ms on the
    // test machine. Calling it here makes it run once per instance (the page's, the worker's).
    // SAFETY: this is the instance's first Rust code, and nothing calls it again.
    #[allow(unsafe_code)]
    unsafe {
        __wasm_call_ctors()
    };
    eframe::WebLogger::init(log::LevelFilter::Info).ok();
    // The compute worker runs this wasm too; there the engine starts from its own entry point
    // (`compute::worker`), not the app.
    if vsgae_studio::compute::in_worker() {
        return;
    }
    // The engine starts first, so that its worker loads the models while the GUI starts.
    let options = vsgae_studio::AppOptions::default();
    let compute = vsgae_studio::compute::ComputeHandle::spawn(None, options.compute);
    wasm_bindgen_futures::spawn_local(async move {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            log::error!("no document");
            return;
        };
        let Some(canvas) = document
            .get_element_by_id("studio_canvas")
            .and_then(|element| element.dyn_into::<web_sys::HtmlCanvasElement>().ok())
        else {
            log::error!("no canvas with id studio_canvas");
            return;
        };
        // Draw with WebGL and compute on WebGPU: headless Chromium's software WebGPU (SwiftShader)
        // runs compute but loses its GPU process on a WebGPU canvas, and WebGL draws egui
        // everywhere.
        let mut web_options = eframe::WebOptions::default();
        if let eframe::egui_wgpu::WgpuSetup::CreateNew(setup) = &mut web_options.wgpu_options.wgpu_setup {
            setup.instance_descriptor.backends = eframe::wgpu::Backends::GL;
        }
        let result = eframe::WebRunner::new()
            .start(
                canvas,
                web_options,
                Box::new(move |cc| {
                    let app = vsgae_studio::StudioApp::with_compute(cc, options, compute);
                    #[cfg(feature = "probe")]
                    let app = app.with_observer(Box::new(vsgae_studio::probe::Probe::new(None)));
                    Ok(Box::new(app))
                }),
            )
            .await;
        if let Some(loading) = document.get_element_by_id("loading_text") {
            match result {
                // Hidden, not removed: a later panic shows its message there.
                Ok(()) => {
                    let _ = loading.set_attribute("hidden", "");
                }
                Err(error) => loading.set_inner_html(&format!("<p>VS-GAE Studio failed to start: {error:?}</p>")),
            }
        }
    });
}
