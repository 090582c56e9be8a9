# Sourced (from the repository root) by the comparison scripts that read the
# full MNIST files: takes them from $VRG_MNIST_DIR (default
# ../shared/data/mnist; a relative path is taken from the repository root),
# exits 2 with a message naming the calling script when they are missing,
# and exports VRG_MNIST_DIR as an absolute path.
mnist=${VRG_MNIST_DIR:-../shared/data/mnist}
if [[ ! -f $mnist/train-images-idx3-ubyte.gz ]]; then
    echo "$0: the full MNIST files are needed and $mnist/train-images-idx3-ubyte.gz" \
        "(from $PWD) does not exist; set VRG_MNIST_DIR to a directory holding the original IDX files" >&2
    exit 2
fi
VRG_MNIST_DIR=$(cd "$mnist" && pwd)
export VRG_MNIST_DIR
