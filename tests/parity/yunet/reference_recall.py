#!/usr/bin/env python3
"""The reference model's own recall on ../shared/faces (boxes.csv), with the protocol of
crate/tests/face_recall.rs (score = sqrt(cls*obj) >= 0.5, NMS 0.3, greedy matching at
IoU >= 0.5, buckets by sqrt(w*h)), at several scale sets. It bounds what hifu's candle port
can reach: measured (onnxruntime 1.32, bilinear resize): native 0.861, 2x 0.861,
native + 2x 0.886 for faces >= 16 px.

Usage: python tests/parity/yunet/reference_recall.py [SHARED_DIR]   (requirements.txt + pillow)
"""
import csv, sys, numpy as np, onnxruntime as ort
from PIL import Image
from collections import defaultdict
S=(sys.argv[1] if len(sys.argv) > 1 else '../shared').rstrip('/') + '/'
sess=ort.InferenceSession(S+'weights/yunet/yunet_n_dynamic.onnx',providers=['CPUExecutionProvider'])
names=[f"{o}_{s}" for o in ['cls','obj','bbox','kps'] for s in [8,16,32]]
def run(img, scale):
    w,h=img.size; sw,sh=max(1,round(w*scale)),max(1,round(h*scale))
    a=np.asarray(img.resize((sw,sh),Image.BILINEAR),dtype=np.float32)
    ph,pw=-(-sh//32)*32,-(-sw//32)*32
    x=np.zeros((ph,pw,3),np.float32); x[:sh,:sw]=a[:,:,::-1]
    out=sess.run(names,{'input':x.transpose(2,0,1)[None]})
    dets=[]
    for i,s in enumerate([8,16,32]):
        cls,obj,bb=out[i][0,:,0],out[3+i][0,:,0],out[6+i][0]
        fw=pw//s; idx=np.arange(len(cls)); col=idx%fw; row=idx//fw
        sc=np.sqrt(np.clip(cls,0,1)*np.clip(obj,0,1)); m=sc>=0.5
        cx=(col+bb[:,0])*s; cy=(row+bb[:,1])*s; ww=np.exp(bb[:,2])*s; hh=np.exp(bb[:,3])*s
        d=np.stack([cx-ww/2,cy-hh/2,cx+ww/2,cy+hh/2,sc],1)[m]
        d[:,:4]/=np.array([sw/w,sh/h,sw/w,sh/h]); dets.append(d)
    return np.concatenate(dets)
def iou(a,b):
    iw=np.clip(np.minimum(a[2],b[:,2])-np.maximum(a[0],b[:,0]),0,None); ih=np.clip(np.minimum(a[3],b[:,3])-np.maximum(a[1],b[:,1]),0,None)
    i=iw*ih; return i/((a[2]-a[0])*(a[3]-a[1])+(b[:,2]-b[:,0])*(b[:,3]-b[:,1])-i)
def nms(d,t=0.3):
    d=d[np.argsort(-d[:,4])]; keep=[]
    for x in d:
        if all(iou(x,np.array([k]))[0]<=t for k in keep): keep.append(x)
    return np.array(keep).reshape(-1,5)
gt=defaultdict(list)
for r in csv.DictReader(open(S+'faces/boxes.csv')): gt[r['file']].append([float(r[k]) for k in ['x1','y1','x2','y2']])
for scales in [[1.0],[2.0],[1.0,2.0],[640/1024*0.5,640/1024,1.0,2.0]]:
    B=np.zeros((5,2),int)
    for f,boxes in gt.items():
        img=Image.open(S+'faces/images/'+f).convert('RGB')
        d=nms(np.concatenate([run(img,s if s<=1.5 or max(img.size)>600 else s) for s in scales]))
        found=[False]*len(boxes)
        for x in d:
            ious=[iou(np.array(x),np.array([b]))[0] if not found[j] else -1 for j,b in enumerate(boxes)]
            j=int(np.argmax(ious))
            if ious[j]>=0.5: found[j]=True
        for b,fnd in zip(boxes,found):
            sz=np.sqrt((b[2]-b[0])*(b[3]-b[1])); k=0 if sz<16 else 1 if sz<32 else 2 if sz<64 else 3 if sz<128 else 4
            B[k,1]+=1; B[k,0]+=fnd
    print(scales, [f"{a}/{b}" for a,b in B], 'recall>=16 %.3f'%(B[1:,0].sum()/B[1:,1].sum()))
