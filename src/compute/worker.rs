//! The web build's compute worker: the engine runs in a dedicated Web Worker, so the page's
//! main thread only draws. The worker runs this same wasm (the page hands it the compiled
//! module, so nothing is downloaded or compiled twice; on a second visit of a build,
//! `index.html` starts it at once from the browser's caches, beside the page's own start, and the
//! page adopts it) and speaks in [`super::wire`] messages:
//! [`ToWorker`] in, [`Event`]s out, the same commands and events as natively.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::commands::Event;
use super::error::ComputeError;
use super::events::{ComputeOptions, EventSender};
use super::wire::{self, ToWorker};

#[wasm_bindgen(inline_js = r#"
// The page's compute worker: the one index.html started early on a second visit of this build,
// or a new one (index.html's `studioStartWorker`) that compiles nothing again: it gets the page's
// compiled module. What the worker posted before this moment is handled first.
export function spawnComputeWorker(module, preferGpu, onEvent, onFailure) {
    let worker = window.studioEarlyWorker;
    window.studioEarlyWorker = undefined;
    if (worker && !preferGpu) {
        worker.terminate();
        worker = undefined;
    }
    if (!worker) {
        if (!(module instanceof WebAssembly.Module)) throw new Error("the page's wasm module is not at hand");
        if (typeof window.studioStartWorker !== "function") throw new Error("the page cannot start a compute worker");
        worker = window.studioStartWorker(module, preferGpu);
    }
    const message = (event) => {
        if (event.data instanceof Uint8Array) onEvent(event.data);
        else if (event.data && event.data.studioFailed) onFailure(event.data.studioFailed);
    };
    const error = (event) => {
        event.preventDefault();
        onFailure(event.message || "an error without a message");
    };
    worker.onmessage = message;
    worker.onerror = error;
    for (const event of worker.studioEarly.splice(0)) (event.type === "error" ? error : message)(event);
    // A later visit of this build starts its worker at once (index.html).
    try {
        localStorage.setItem("vsgae-studio-started", window.studioBuild().wasm);
    } catch (_) {
        // Without storage every visit starts the worker here.
    }
    return worker;
}

export function postBytes(target, bytes) {
    target.postMessage(bytes, [bytes.buffer]);
}

export function postToPage(bytes) {
    self.postMessage(bytes, [bytes.buffer]);
}
"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = spawnComputeWorker)]
    fn spawn_compute_worker(
        module: &JsValue,
        prefer_gpu: bool,
        on_event: &js_sys::Function,
        on_failure: &js_sys::Function,
    ) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = postBytes)]
    fn post_bytes(target: &JsValue, bytes: Vec<u8>);

    #[wasm_bindgen(js_name = postToPage)]
    fn post_to_page(bytes: Vec<u8>);
}

/// The page's handle on its compute worker.
#[derive(Debug)]
pub(crate) struct ComputeWorker {
    worker: JsValue,
}

impl ComputeWorker {
    /// Starts the worker; its events go to `events`. An error says why no worker could start.
    pub fn spawn(options: ComputeOptions, events: EventSender) -> Result<Self, ComputeError> {
        let failures = events.clone();
        let on_event =
            Closure::<dyn FnMut(js_sys::Uint8Array)>::new(move |bytes: js_sys::Uint8Array| {
                match wire::decode::<Event>(&bytes.to_vec()) {
                    Ok(event) => events.send(event),
                    Err(error) => events.send(Event::Notice { message: error.to_string(), until: None }),
                }
            });
        let on_failure = Closure::<dyn FnMut(String)>::new(move |message: String| {
            failures.send(Event::EngineStopped(format!("the compute worker stopped: {message}")));
        });
        let worker = spawn_compute_worker(
            &wasm_bindgen::module(),
            options.prefer_gpu,
            on_event.as_ref().unchecked_ref(),
            on_failure.as_ref().unchecked_ref(),
        )
        .map_err(|error| {
            ComputeError::WorkerStart(
                error.dyn_ref::<js_sys::Error>().map_or_else(|| format!("{error:?}"), |e| String::from(e.message())),
            )
        })?;
        // The worker calls these for as long as the page lives.
        on_event.forget();
        on_failure.forget();
        Ok(Self { worker })
    }

    pub fn send(&self, message: &ToWorker) {
        match wire::encode(message) {
            Ok(bytes) => post_bytes(&self.worker, bytes),
            Err(error) => log::error!("{error}"),
        }
    }
}

/// Sends an event from the worker to the page.
pub(crate) fn post_event(event: &Event) {
    match wire::encode(event) {
        Ok(bytes) => post_to_page(bytes),
        Err(error) => log::error!("{error}"),
    }
}

/// The worker's entry point (called by the worker's script once this wasm has started there):
/// starts the engine and returns the function that hands it the page's messages.
#[wasm_bindgen(js_name = computeWorkerStart)]
pub fn compute_worker_start(prefer_gpu: bool) -> js_sys::Function {
    let (commands, command_receiver) = channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let options = ComputeOptions { prefer_gpu };
    wasm_bindgen_futures::spawn_local(super::engine::run(
        options,
        command_receiver,
        EventSender::Page(post_event),
        cancel.clone(),
    ));
    let deliver = Closure::<dyn FnMut(js_sys::Uint8Array)>::new(move |bytes: js_sys::Uint8Array| {
        match wire::decode::<ToWorker>(&bytes.to_vec()) {
            Ok(ToWorker::Command(command)) => {
                // The engine lives as long as the worker; its queue is never closed.
                let _ = commands.send(command);
            }
            Ok(ToWorker::CancelJob) => cancel.store(true, Ordering::Relaxed),
            Err(error) => log::error!("{error}"),
        }
    });
    deliver.into_js_value().unchecked_into()
}
