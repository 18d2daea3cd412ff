// The page's compressed-image decoders and encoders: WebAssembly (and one JavaScript) builds
// from npm, reached from Python as the module `dicompress_codecs`
// (py/dicompress/plugins/wasm_codecs.py turns them into pydicom decoder and encoder plugins).
//
// One family per npm package; a family is loaded the first time a file needs it (`need`),
// after which `decode(family, bytes)` runs synchronously, as pydicom's plugins do. Where a
// family's files come from is the caller's `load(family)`: the worker takes them from
// dist/codecs/ (sha256-checked), the Node tests from node_modules. It resolves to
// {factory, wasmBinary} for an Emscripten build or {Decoder} for a JavaScript one.
//
// decode() returns {pixels (a copy, out of the codec's memory), width, height, components,
// bitsPerSample, signed, planar} or throws an Error whose message is one line starting with
// the family: Emscripten's bare-number throws, aborts and a width of 0 all end so. After
// any failure the family's instance is dropped and made anew by the next `need`, so a
// damaged file never leaves a broken codec behind for the next one.
//
// An encoding family (the packages' full builds: their decoders are left to the decoding
// families, so a result is checked by another instance) has `encode(family, bytes, frame)`:
// `bytes` one frame of little-endian samples, interleaved, in containers of 1 or 2 bytes;
// `frame` {width, height, components, bitsPerSample, signed, colourTransform}. It returns
// the codestream (a copy) or throws as decode does. The encoders' own parameters are the
// ones the command line's encoders use, so both write the same codestreams.

// Each Emscripten instance gets its own options object: their setup mutates it.
function emscriptenOptions(wasmBinary) {
  return {
    wasmBinary,
    // Never used with wasmBinary given; set so nothing is looked up next to a blob: worker URL.
    locateFile: (path) => path,
    print: () => {},
    printErr: () => {},
  };
}

// Copy the frame out of the codec's memory: the next decode reuses it.
function frameOf(decoder, info, planar) {
  return {
    pixels: decoder.getDecodedBuffer().slice(),
    width: info.width,
    height: info.height,
    components: info.componentCount,
    bitsPerSample: info.bitsPerSample,
    signed: Boolean(info.isSigned),
    planar,
  };
}

// Run an embind decoder class over `bytes`: copy in, decode, read, always delete.
function embindDecode(DecoderClass, bytes, read) {
  const decoder = new DecoderClass();
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    return read(decoder);
  } finally {
    decoder.delete();
  }
}

// Run an embind encoder class: copy the frame in, set it up, encode, copy out, always delete.
function embindEncode(EncoderClass, bytes, info, setUp) {
  const encoder = new EncoderClass();
  try {
    encoder.getDecodedBuffer(info).set(bytes);
    setUp(encoder);
    encoder.encode();
    const encoded = encoder.getEncodedBuffer();
    return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length).slice();
  } finally {
    encoder.delete();
  }
}

// Wavelet decompositions: 5 (OpenJPEG's and OpenJPH's default), fewer for images too small for them.
function decompositions(frame) {
  return Math.min(5, Math.floor(Math.log2(Math.min(frame.width, frame.height))));
}

//: family -> {create(files) -> Promise<instance>, decode(instance, bytes) -> frame}
//:           or {create, encode(instance, bytes, frame) -> codestream}
export const FAMILIES = {
  // @cornerstonejs/codec-openjpeg: JPEG 2000 and HTJ2K (OpenJPEG 2.5, as pylibjpeg-openjpeg).
  openjpeg: {
    create: ({ factory, wasmBinary }) => factory(emscriptenOptions(wasmBinary)),
    decode: (module, bytes) =>
      embindDecode(module.J2KDecoder, bytes, (decoder) => frameOf(decoder, decoder.getFrameInfo(), false)),
  },
  // @cornerstonejs/codec-charls: JPEG-LS (CharLS, as pyjpegls); interleave mode 0 is by plane.
  charls: {
    create: ({ factory, wasmBinary }) => factory(emscriptenOptions(wasmBinary)),
    decode: (module, bytes) =>
      embindDecode(module.JpegLSDecoder, bytes, (decoder) => {
        const info = decoder.getFrameInfo();
        return frameOf(decoder, info, info.componentCount > 1 && decoder.getInterleaveMode() === 0);
      }),
  },
  // @cornerstonejs/codec-libjpeg-turbo-8bit: JPEG Baseline and 8-bit Extended (libjpeg-turbo,
  // whose chroma upsampling is DCMTK's and pylibjpeg's; Pyodide's Pillow has IJG libjpeg 9).
  "libjpeg-turbo": {
    create: ({ factory, wasmBinary }) => factory(emscriptenOptions(wasmBinary)),
    decode: (module, bytes) =>
      embindDecode(module.JPEGDecoder, bytes, (decoder) => frameOf(decoder, decoder.getFrameInfo(), false)),
  },
  // jpeg-lossless-decoder-js: JPEG Lossless, Process 14 (any selection value), plain JavaScript.
  "jpeg-lossless": {
    create: async ({ Decoder }) => Decoder,
    decode: (Decoder, bytes) => {
      const decoder = new Decoder();
      const output = decoder.decode(bytes.buffer, bytes.byteOffset, bytes.length);
      return {
        pixels: new Uint8Array(output.buffer, output.byteOffset, output.byteLength),
        width: decoder.xDim,
        height: decoder.yDim,
        components: decoder.numComp,
        bitsPerSample: decoder.precision,
        signed: false,
        planar: false,
      };
    },
  },
  // @cornerstonejs/codec-charls' full build: JPEG-LS Lossless (CharLS, as pyjpegls), colour
  // sample-interleaved (mode 2), as pyjpegls writes Planar Configuration 0.
  "charls-encoder": {
    create: ({ factory, wasmBinary }) => factory(emscriptenOptions(wasmBinary)),
    encode: (module, bytes, frame) => {
      const { width, height, bitsPerSample, components: componentCount } = frame;
      return embindEncode(module.JpegLSEncoder, bytes, { width, height, bitsPerSample, componentCount }, (e) => {
        e.setNearLossless(0);
        e.setInterleaveMode(componentCount > 1 ? 2 : 0);
      });
    },
  },
  // @cornerstonejs/codec-openjpeg's full build: JPEG 2000 Lossless (OpenJPEG, as
  // pylibjpeg-openjpeg), layer-resolution-component-position order as there. It applies
  // the reversible colour transform to every colour image (the caller asks for it).
  "openjpeg-encoder": {
    create: ({ factory, wasmBinary }) => factory(emscriptenOptions(wasmBinary)),
    encode: (module, bytes, frame) => {
      const { width, height, bitsPerSample, components: componentCount, signed: isSigned } = frame;
      return embindEncode(module.J2KEncoder, bytes, { width, height, bitsPerSample, componentCount, isSigned }, (e) => {
        e.setQuality(true, 1);
        e.setCompressionRatio(0, 0);
        e.setProgressionOrder(0);
        e.setDecompositions(decompositions(frame));
      });
    },
  },
  // @cornerstonejs/codec-openjph: HTJ2K Lossless (OpenJPH, as the command line's plugin over
  // imagecodecs): reversible, colour through the reversible colour transform.
  openjph: {
    create: ({ factory, wasmBinary }) => factory(emscriptenOptions(wasmBinary)),
    encode: (module, bytes, frame) => {
      const { width, height, bitsPerSample, components: componentCount, signed: isSigned } = frame;
      const info = { width, height, bitsPerSample, componentCount, isSigned, isUsingColorTransform: frame.colourTransform };
      return embindEncode(module.HTJ2KEncoder, bytes, info, (e) => {
        e.setQuality(true, 0);
        e.setDecompositions(decompositions(frame));
      });
    },
  },
};

// One line for anything a codec throws (Emscripten throws bare numbers: C++ exception pointers).
function reason(err, operation) {
  if (typeof err === "number") return `the ${operation}r failed (internal error ${err})`;
  const text = String(err?.message ?? err).trim().split("\n")[0];
  return text || `the ${operation}r failed`;
}

export class Codecs {
  #load;
  #instances = new Map(); // family -> instance
  #files = new Map(); // family -> Promise of what `load` gave

  // `load(family)` resolves to that family's files (see the top of this module).
  constructor(load) {
    this.#load = load;
  }

  // The families this bridge knows.
  get families() {
    return Object.keys(FAMILIES);
  }

  // Whether `family` can decode now (it was loaded and is not broken).
  ready(family) {
    return this.#instances.has(family);
  }

  // Load (once) and start each of `families`; rejects with why one could not be.
  async need(families) {
    for (const family of families) {
      if (!(family in FAMILIES)) throw new Error(`${family}: no such codec`);
      if (this.#instances.has(family)) continue;
      if (!this.#files.has(family)) {
        const files = this.#load(family);
        this.#files.set(family, files);
        files.catch(() => this.#files.delete(family)); // a failed download is tried again later
      }
      this.#instances.set(family, await FAMILIES[family].create(await this.#files.get(family)));
    }
  }

  // Run operation `operation` ("decode" or "encode") of `family` (loaded with `need` first).
  #run(family, operation, ...args) {
    const instance = this.#instances.get(family);
    if (!instance || !FAMILIES[family][operation]) throw new Error(`${family}: the ${operation}r is not loaded`);
    try {
      return FAMILIES[family][operation](instance, ...args);
    } catch (err) {
      this.#instances.delete(family);
      throw new Error(`${family}: ${reason(err, operation)}`);
    }
  }

  // Encode one frame with `family`; see the top of this module.
  encode(family, bytes, frame) {
    const encoded = this.#run(family, "encode", bytes, frame);
    if (!encoded.length) {
      this.#instances.delete(family);
      throw new Error(`${family}: the encoder wrote nothing`);
    }
    return encoded;
  }

  // Decode one frame with `family` (loaded with `need` first); see the top of this module.
  decode(family, bytes) {
    const frame = this.#run(family, "decode", bytes);
    if (!(frame.width > 0 && frame.height > 0 && frame.components > 0)) {
      this.#instances.delete(family);
      throw new Error(`${family}: the decoder found no image in the data (width ${frame.width})`);
    }
    return frame;
  }
}
