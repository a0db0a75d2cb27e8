/* liblatent_faiss.so: FAISS's exact flat indexes behind liblatent's C ABI
 * (include/latent/latent.h), so that latentbench loads it with the same
 * loader as a build of liblatent and measures the same kNN cases through it
 * (docs/PEERS.md).
 *
 *   Euclidean  faiss::IndexFlatL2; distance = sqrt of the squared distance
 *   Dot        faiss::IndexFlatIP; distance = -(inner product)
 *   Cosine     faiss::IndexFlatIP over L2-normalised copies; distance = 1 - ip,
 *              clamped to [0, 2] (a zero vector stays zero: distance 1)
 *   anything else, and every attention call: LT_EUNSUPPORTED
 *
 * FAISS labels are insertion positions; the ids live in a side array. The k
 * candidates FAISS keeps are scored again directly (FAISS's BLAS path ranks by
 * |x|^2 + |q|^2 - 2 x.q, which cancels near 0, as liblatent's batch path does)
 * and sorted by (distance, id), so answers compare with liblatent's under the
 * spec's contract. C++ exceptions never cross the C ABI: bad_alloc becomes
 * LT_ENOMEM, any other FAISS exception LT_EINVAL. */
#include <latent/latent.h>

#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/utils/distances.h>

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <memory>
#include <new>
#include <unordered_set>
#include <vector>

/* OpenBLAS's own API: weak, so another BLAS behind libblas.so.3 still loads
 * (the description then says the BLAS is not OpenBLAS). */
extern "C" {
char *openblas_get_corename(void) __attribute__((weak));
char *openblas_get_config(void) __attribute__((weak));
}

#define LT_PEER_EXTERN extern "C" LT_EXTERN

namespace {

/* ---- what the shim holds (lt_mem_stats) ------------------------------------
 * Counted: the FAISS index's stored vectors (its codes vector's capacity), the
 * id array, the duplicate-id set, and each search's own result buffers.
 * FAISS's internal scratch during a search (the BLAS path's distance blocks)
 * is not: it allocates with operator new, which this library does not replace. */
std::atomic<size_t> g_current{0}, g_peak{0};
std::atomic<uint64_t> g_allocs{0};

void mem_add(size_t bytes)
{
    size_t now = g_current.fetch_add(bytes) + bytes;
    size_t p = g_peak.load();
    while (now > p && !g_peak.compare_exchange_weak(p, now)) {
    }
    g_allocs.fetch_add(1);
}

void mem_sub(size_t bytes) { g_current.fetch_sub(bytes); }

/* A std allocator that counts into the totals above. */
template <class T> struct counted {
    using value_type = T;
    counted() = default;
    template <class U> counted(const counted<U> &) {}
    T *allocate(size_t n)
    {
        T *p = std::allocator<T>().allocate(n);
        mem_add(n * sizeof(T));
        return p;
    }
    void deallocate(T *p, size_t n)
    {
        mem_sub(n * sizeof(T));
        std::allocator<T>().deallocate(p, n);
    }
    template <class U> bool operator==(const counted<U> &) const { return true; }
    template <class U> bool operator!=(const counted<U> &) const { return false; }
};

template <class T> using cvector = std::vector<T, counted<T>>;
using idset = std::unordered_set<uint64_t, std::hash<uint64_t>, std::equal_to<uint64_t>, counted<uint64_t>>;

const char *const g_isa_names[LT_ISA_COUNT] = {"scalar", "avx2", "avx512"};

/* Threads: lt_config.threads caps OpenMP's team for the FAISS call (FAISS
 * splits queries over OpenMP threads; its BLAS path uses OpenBLAS's threads,
 * which follow OMP_NUM_THREADS when OPENBLAS_NUM_THREADS is unset). */
struct omp_cap {
    int saved = 0;
    explicit omp_cap(unsigned threads)
    {
        if (threads) {
            saved = omp_get_max_threads();
            omp_set_num_threads((int)threads);
        }
    }
    ~omp_cap()
    {
        if (saved) omp_set_num_threads(saved);
    }
};

bool finite_all(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!std::isfinite(v[i])) return false;
    return true;
}

} // namespace

struct lt_space {
    lt_config cfg;
    std::unique_ptr<faiss::IndexFlat> index;
    cvector<uint64_t> ids; /* ids[label] */
    idset seen;
    uint64_t max_id = 0;
    size_t codes_counted = 0; /* bytes of index->codes counted in g_current */

    /* the index's storage as counted: its capacity, which only add changes */
    void recount()
    {
        size_t now = index->codes.capacity();
        if (now > codes_counted) mem_add(now - codes_counted);
        else mem_sub(codes_counted - now);
        codes_counted = now;
    }
};

namespace {

float score(const lt_space *s, const float *x, const float *q)
{
    size_t d = s->cfg.dimension;
    switch (s->cfg.metric) {
    case LT_METRIC_EUCLIDEAN: return std::sqrt(std::max(0.0f, faiss::fvec_L2sqr(x, q, d)));
    case LT_METRIC_DOT: return -faiss::fvec_inner_product(x, q, d);
    default: return std::min(2.0f, std::max(0.0f, 1.0f - faiss::fvec_inner_product(x, q, d)));
    }
}

/* nq queries: FAISS's top k, scored again and sorted by (distance, id). */
int search(const lt_space *s, const float *queries, size_t nq, size_t k, lt_neighbor *out, size_t out_stride,
           size_t *found)
{
    size_t n = (size_t)s->index->ntotal, d = s->cfg.dimension, kk = std::min(k, n);
    if (kk == 0) {
        for (size_t i = 0; i < nq; i++) found[i] = 0;
        return LT_OK;
    }
    size_t cells;
    if (__builtin_mul_overflow(nq, kk, &cells) || __builtin_mul_overflow(nq, d, &cells)) return LT_EOVERFLOW;
    cvector<float> dist(nq * kk);
    cvector<faiss::Index::idx_t> lab(nq * kk);
    cvector<float> normed;
    const float *q = queries;
    if (s->cfg.metric == LT_METRIC_COSINE) {
        normed.resize(nq * d);
        std::memcpy(normed.data(), queries, nq * d * sizeof(float));
        faiss::fvec_renorm_L2(d, nq, normed.data());
        q = normed.data();
    }
    {
        omp_cap cap(s->cfg.threads);
        s->index->search((faiss::Index::idx_t)nq, q, (faiss::Index::idx_t)kk, dist.data(), lab.data());
    }
    const float *xb = s->index->get_xb();
    for (size_t i = 0; i < nq; i++) {
        lt_neighbor *o = out + i * out_stride;
        size_t m = 0;
        for (size_t j = 0; j < kk; j++) {
            faiss::Index::idx_t l = lab[i * kk + j];
            if (l < 0 || (size_t)l >= n) continue; /* FAISS pads a short answer with -1 */
            o[m].id = s->ids[(size_t)l];
            o[m].distance = score(s, xb + (size_t)l * d, q + i * d);
            m++;
        }
        std::sort(o, o + m, [](const lt_neighbor &a, const lt_neighbor &b) {
            return a.distance < b.distance || (a.distance == b.distance && a.id < b.id);
        });
        found[i] = m;
    }
    return LT_OK;
}

/* Every C entry point runs inside this: no exception leaves the library. */
template <class F> int guarded(F &&f)
{
    try {
        return f();
    } catch (const std::bad_alloc &) {
        return LT_ENOMEM;
    } catch (...) {
        return LT_EINVAL;
    }
}

} // namespace

/* ---- the liblatent ABI ------------------------------------------------------ */

LT_PEER_EXTERN const char *lt_strerror(int code)
{
    switch (code) {
    case LT_OK: return "ok";
#define LT__ERR_CASE(name, value, msg) \
    case LT_##name: return msg;
        LT_ERRNO_MAP(LT__ERR_CASE)
#undef LT__ERR_CASE
    default: return "unknown error";
    }
}

LT_PEER_EXTERN const char *lt_version_string(void)
{
    static char v[32];
    std::snprintf(v, sizeof v, "%d.%d.%d", LT_VERSION_MAJOR, LT_VERSION_MINOR, LT_VERSION_PATCH);
    return v;
}

LT_PEER_EXTERN lt_config lt_config_default(size_t dimension)
{
    lt_config c;
    std::memset(&c, 0, sizeof c);
    c.dimension = dimension;
    c.metric = LT_METRIC_EUCLIDEAN;
    c.curvature = -1.0f;
    c.attention = LT_ATTN_STANDARD;
    c.num_heads = 8;
    c.num_experts = 4;
    c.top_k_experts = 2;
    c.block_size = 64;
    return c;
}

LT_PEER_EXTERN int lt_space_create(const lt_config *cfg, lt_space **out)
{
    if (!cfg || !out || cfg->dimension == 0) return LT_EINVAL;
    *out = nullptr;
    if (cfg->metric != LT_METRIC_EUCLIDEAN && cfg->metric != LT_METRIC_DOT && cfg->metric != LT_METRIC_COSINE)
        return LT_EUNSUPPORTED;
    if (cfg->dimension > (size_t)INT32_MAX) return LT_EOVERFLOW; /* FAISS keeps d in an int */
    return guarded([&] {
        std::unique_ptr<lt_space> s(new lt_space);
        s->cfg = *cfg;
        int d = (int)cfg->dimension;
        if (cfg->metric == LT_METRIC_EUCLIDEAN) s->index.reset(new faiss::IndexFlatL2(d));
        else s->index.reset(new faiss::IndexFlatIP(d));
        *out = s.release();
        return (int)LT_OK;
    });
}

LT_PEER_EXTERN void lt_space_destroy(lt_space *s)
{
    if (!s) return;
    mem_sub(s->codes_counted);
    delete s;
}

LT_PEER_EXTERN size_t lt_space_size(const lt_space *s) { return s ? (size_t)s->index->ntotal : 0; }

LT_PEER_EXTERN const lt_config *lt_space_config(const lt_space *s) { return s ? &s->cfg : nullptr; }

LT_PEER_EXTERN int lt_space_add_batch(lt_space *s, const float *vecs, size_t count, const uint64_t *ids)
{
    if (!s || (count && !vecs)) return LT_EINVAL;
    if (count == 0) return LT_OK;
    size_t d = s->cfg.dimension, n = (size_t)s->index->ntotal, floats;
    if (__builtin_mul_overflow(count, d, &floats) || count > (size_t)UINT32_MAX - n) return LT_EOVERFLOW;
    if (!finite_all(vecs, floats)) return LT_ENONFINITE;
    if (!ids && n && (s->max_id == UINT64_MAX || count - 1 > UINT64_MAX - s->max_id - 1)) return LT_EOVERFLOW;
    return guarded([&] {
        /* all or nothing: ids first (undone on any failure), then the index */
        std::vector<uint64_t> mine;
        mine.reserve(count);
        uint64_t next = n ? s->max_id + 1 : 0, top = s->max_id;
        bool any = n > 0;
        auto undo = [&] {
            for (uint64_t id : mine) s->seen.erase(id);
        };
        try {
            for (size_t i = 0; i < count; i++) {
                uint64_t id = ids ? ids[i] : next + i;
                if (!s->seen.insert(id).second) {
                    undo();
                    return (int)LT_EDUPID;
                }
                mine.push_back(id);
                if (!any || id > top) top = id;
                any = true;
            }
            s->ids.reserve(n + count);
            if (s->cfg.metric == LT_METRIC_COSINE) {
                std::vector<float> normed(vecs, vecs + floats);
                faiss::fvec_renorm_L2(d, count, normed.data());
                s->index->add((faiss::Index::idx_t)count, normed.data());
            } else {
                s->index->add((faiss::Index::idx_t)count, vecs);
            }
        } catch (...) {
            undo();
            throw;
        }
        s->ids.insert(s->ids.end(), mine.begin(), mine.end());
        s->max_id = top;
        s->recount();
        return (int)LT_OK;
    });
}

LT_PEER_EXTERN int lt_space_add(lt_space *s, const float *vec, const uint64_t *id, uint64_t *assigned)
{
    if (!s || !vec) return LT_EINVAL;
    size_t n = (size_t)s->index->ntotal;
    int rc = lt_space_add_batch(s, vec, 1, id);
    if (rc == LT_OK && assigned) *assigned = s->ids[n];
    return rc;
}

LT_PEER_EXTERN int lt_space_knn(const lt_space *s, const float *query, size_t k, lt_neighbor *out, size_t *found)
{
    if (!s || !query || !out || !found || k == 0) return LT_EINVAL;
    if (!finite_all(query, s->cfg.dimension)) return LT_ENONFINITE;
    return guarded([&] { return search(s, query, 1, k, out, k, found); });
}

LT_PEER_EXTERN int lt_space_knn_batch(const lt_space *s, const float *queries, size_t nq, size_t k, lt_neighbor *out,
                                      size_t *found)
{
    if (!s || k == 0 || (nq && (!queries || !out || !found))) return LT_EINVAL;
    size_t cells, floats;
    if (__builtin_mul_overflow(nq, k, &cells) || __builtin_mul_overflow(nq, s->cfg.dimension, &floats))
        return LT_EOVERFLOW;
    if (nq == 0) return LT_OK;
    if (!finite_all(queries, floats)) return LT_ENONFINITE;
    int rc = guarded([&] { return search(s, queries, nq, k, out, k, found); });
    if (rc != LT_OK) return rc;
    for (size_t i = 0; i < nq; i++)
        for (size_t j = found[i]; j < k; j++) out[i * k + j] = lt_neighbor{UINT64_MAX, INFINITY};
    return LT_OK;
}

LT_PEER_EXTERN int lt_space_attention(const lt_space *, const float *, float *) { return LT_EUNSUPPORTED; }

LT_PEER_EXTERN int lt_space_attention_batch(const lt_space *, const float *, size_t, float *)
{
    return LT_EUNSUPPORTED;
}

/* The peer has no ISA dispatch of its own to report: "scalar" stands for
 * "whatever FAISS and its BLAS picked" (lt_peer_describe names the BLAS core). */
LT_PEER_EXTERN lt_isa lt_isa_active(void) { return LT_ISA_SCALAR; }

LT_PEER_EXTERN const char *lt_isa_name(lt_isa isa)
{
    return (unsigned)isa < LT_ISA_COUNT ? g_isa_names[isa] : nullptr;
}

LT_PEER_EXTERN lt_mem_stats lt_mem_stats_get(void)
{
    lt_mem_stats st;
    st.current_bytes = g_current.load();
    st.peak_bytes = g_peak.load();
    st.allocations = g_allocs.load();
    return st;
}

LT_PEER_EXTERN void lt_mem_reset_peak(void)
{
    g_peak.store(g_current.load());
    g_allocs.store(0);
}

/* ---- what the peer is ------------------------------------------------------- */

namespace {

/* OpenBLAS's generic cores: kernels without AVX2 (Prescott is plain SSE3).
 * OpenBLAS 0.3.21 falls back to them on CPUs it does not know, some recent
 * Xeons among them, and is then several times slower than it could be. */
bool generic_core(const char *core)
{
    static const char *const names[] = {"Prescott", "Core2", "Katmai", "Coppermine", "Northwood", "Penryn",
                                        "Dunnington", "Nehalem", "Atom", "Sandybridge", "Barcelona", "Opteron",
                                        "Bobcat", "Banias", "Generic", "unknown"};
    for (const char *n : names)
        if (strcasecmp(core, n) == 0) return true;
    return false;
}

const char *core_name(void)
{
    const char *c = openblas_get_corename ? openblas_get_corename() : nullptr;
    return c && *c ? c : nullptr;
}

} // namespace

/* "faiss 1.7.3 IndexFlatL2/IP; OpenBLAS 0.3.21 core Prescott" (plus the
 * OPENBLAS_CORETYPE setting when the environment has one): what the peer
 * rows measured. Never NULL. */
LT_PEER_EXTERN const char *lt_peer_describe(void)
{
    static char buf[256];
    char blas[160] = "BLAS not OpenBLAS";
    const char *core = core_name();
    if (openblas_get_config) {
        const char *cfg = openblas_get_config();
        char ver[32] = "?";
        if (cfg && std::strncmp(cfg, "OpenBLAS ", 9) == 0) std::sscanf(cfg + 9, "%31s", ver);
        std::snprintf(blas, sizeof blas, "OpenBLAS %s core %s", ver, core ? core : "?");
    }
    const char *forced = std::getenv("OPENBLAS_CORETYPE");
    char env[96] = "";
    if (forced) std::snprintf(env, sizeof env, " (OPENBLAS_CORETYPE=%.60s)", forced);
    std::snprintf(buf, sizeof buf, "faiss %d.%d.%d IndexFlatL2/IP; %s%s", FAISS_VERSION_MAJOR, FAISS_VERSION_MINOR,
                  FAISS_VERSION_PATCH, blas, env);
    return buf;
}

/* "" or one line (at most 63 bytes, a row's note) when OpenBLAS runs a
 * generic core on a CPU with AVX2 or AVX-512: FAISS's batch search is then
 * measured several times slower than this machine allows. Names the remedy;
 * the library never sets it. */
LT_PEER_EXTERN const char *lt_peer_note(void)
{
    static char buf[64];
    const char *core = core_name();
    __builtin_cpu_init();
    const char *remedy = __builtin_cpu_supports("avx512f") ? "SkylakeX" : __builtin_cpu_supports("avx2") ? "Haswell" : nullptr;
    if (!core || !remedy || !generic_core(core)) return "";
    std::snprintf(buf, sizeof buf, "OpenBLAS core %.12s; try OPENBLAS_CORETYPE=%s", core, remedy);
    return buf;
}
