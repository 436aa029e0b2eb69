// reel_denoise_pgm CHECKPOINT IN.pgm OUT.pgm
//
// Denoises an 8-bit gray PGM through libreel.so: the C ABI from C++, its handles owned by
// std::unique_ptr and its failures turned into exceptions that carry reel_last_error().
// Build: c++ -std=c++17 denoise_pgm.cpp $(pkg-config --cflags --libs reel)
#include <reel.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// Throws with the library's own message, which names the file or argument that was wrong.
void check(int status, const char* call) {
    if (status != REEL_OK)
        throw std::runtime_error(std::string(call) + ": " + reel_status_string(status) + ": " + reel_last_error());
}

struct EngineFree {
    void operator()(reel_engine* engine) const { reel_engine_free(engine); }
};
struct ModelFree {
    void operator()(reel_model* model) const { reel_model_free(model); }
};
using Engine = std::unique_ptr<reel_engine, EngineFree>;
using Model = std::unique_ptr<reel_model, ModelFree>;

Engine create_engine(reel_backend backend) {
    reel_engine* engine = nullptr;
    check(reel_engine_create(backend, &engine), "reel_engine_create");
    return Engine(engine);
}

Model load_model(const Engine& engine, reel_model_kind kind, const std::string& checkpoint) {
    reel_model* model = nullptr;
    check(reel_model_load(engine.get(), kind, checkpoint.c_str(), &model), "reel_model_load");
    return Model(model);
}

struct GrayImage {
    int width = 0, height = 0;
    std::vector<uint8_t> pixels;
};

// Binary PGM, maxval 255, as ffmpeg writes it (-pix_fmt gray); comments are skipped.
GrayImage read_pgm(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    auto token = [&] {
        std::string t;
        for (char c; in.get(c);) {
            if (c == '#' && t.empty()) { in.ignore(1 << 20, '\n'); continue; }
            if (std::isspace(static_cast<unsigned char>(c))) { if (!t.empty()) break; continue; }
            t += c;
        }
        return t;
    };
    GrayImage image;
    if (token() != "P5") throw std::runtime_error(path + " is not a binary PGM (P5)");
    image.width = std::stoi(token());
    image.height = std::stoi(token());
    if (token() != "255" || image.width <= 0 || image.height <= 0) throw std::runtime_error(path + " is not an 8-bit PGM");
    image.pixels.resize(static_cast<size_t>(image.width) * image.height);
    if (!in.read(reinterpret_cast<char*>(image.pixels.data()), static_cast<std::streamsize>(image.pixels.size())))
        throw std::runtime_error(path + " is truncated");
    return image;
}

void write_pgm(const std::string& path, const GrayImage& image) {
    std::ofstream out(path, std::ios::binary);
    out << "P5\n" << image.width << ' ' << image.height << "\n255\n";
    out.write(reinterpret_cast<const char*>(image.pixels.data()), static_cast<std::streamsize>(image.pixels.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: reel_denoise_pgm CHECKPOINT IN.pgm OUT.pgm\n");
        return 2;
    }
    try {
        Engine engine = create_engine(REEL_BACKEND_AUTO);
        Model denoiser = load_model(engine, REEL_MODEL_DENOISER, argv[1]);  // freed before the engine
        reel_model_info info{};
        check(reel_model_describe(denoiser.get(), &info), "reel_model_describe");
        if (info.channels != 1) throw std::runtime_error(std::string(argv[1]) + " is a colour DnCNN; this example reads gray PGMs");

        GrayImage noisy = read_pgm(argv[2]);
        GrayImage clean{noisy.width, noisy.height, std::vector<uint8_t>(noisy.pixels.size())};
        reel_frame in{noisy.pixels.data(), noisy.width, noisy.height, noisy.width, REEL_PIXEL_GRAY8};
        reel_frame out{clean.pixels.data(), clean.width, clean.height, clean.width, REEL_PIXEL_GRAY8};
        check(reel_frame_denoise(denoiser.get(), &in, &out), "reel_frame_denoise");
        write_pgm(argv[3], clean);
        std::printf("libreel %s: denoised %s (%d×%d) → %s\n", reel_version(), argv[2], noisy.width, noisy.height, argv[3]);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "reel_denoise_pgm: %s\n", e.what());
        return 1;
    }
}
